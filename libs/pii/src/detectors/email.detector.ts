import type { Candidate } from '../entities.js';
import type { Detector } from './detector.js';

/** Sticky: tried only where a match can start (see `scan`). */
const EMAIL_STICKY_RE =
  /[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])/y;
/** The characters of a local part, dots included: by char code, 1 for yes. */
const LOCAL_CHARS = new Uint8Array(128);
for (const c of "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+=?^_`{|}~-.") LOCAL_CHARS[c.charCodeAt(0)] = 1;

function isLocalChar(c: number): boolean {
  return c < 128 && LOCAL_CHARS[c] === 1;
}

// Generic and common sponsored TLDs; every 2-letter TLD is taken as a ccTLD.
const GENERIC_TLDS = new Set(
  (
    'com net org edu gov mil int info biz name pro mobi aero coop museum jobs travel tel asia cat xxx post ' +
    'io ai app dev page cloud online site tech store shop blog email xyz top club live news media digital ' +
    'network agency company solutions services systems group global world today life space website work ' +
    'studio design art health care bank insurance finance money law legal science academy school university ' +
    'gmbh ltd llc inc church family team social city london berlin paris nyc tokyo amsterdam wien swiss ' +
    'google microsoft apple amazon'
  ).split(' '),
);

export class EmailDetector implements Detector {
  readonly name = 'email';
  readonly entities = ['EMAIL'] as const;

  detect(text: string, out: Candidate[]): void {
    let at = text.indexOf('@');
    if (at < 0) return;
    // Run the pattern only around each '@' (a local-part scan at every word start is the costly part).
    let covered = 0;
    while (at >= 0) {
      const from = Math.max(covered, at - 128);
      const to = Math.min(text.length, at + 256);
      this.scan(text, from, to, out);
      covered = to;
      at = text.indexOf('@', Math.max(at + 1, to));
    }
  }

  /**
   * The matches a global scan of the pattern finds in text[from, to). Every match holds an '@' and no character
   * before its '@' is outside LOCAL_CHARS, so a match can only start inside the run of those characters just before an '@': the pattern is
   * tried (sticky) at each position of that run, in order, instead of at every position of the window.
   */
  private scan(text: string, from: number, to: number, out: Candidate[]): void {
    const window = text.slice(from, to);
    let at = window.indexOf('@');
    let pos = 0;
    while (at >= 0) {
      let start = at;
      while (start > pos && isLocalChar(window.charCodeAt(start - 1))) start--;
      let found = false;
      for (let s = start; s < at; s++) {
        EMAIL_STICKY_RE.lastIndex = s;
        const m = EMAIL_STICKY_RE.exec(window);
        if (m === null) continue;
        this.push(m, from, out);
        pos = s + m[0].length;
        found = true;
        break;
      }
      // After a match the scan goes on where it ended; after none, past this '@' (no match can hold it).
      at = window.indexOf('@', found ? pos : at + 1);
    }
  }

  private push(m: RegExpExecArray, from: number, out: Candidate[]): void {
    const tld = (m[1] ?? '').toLowerCase();
    const known = tld.length === 2 || GENERIC_TLDS.has(tld);
    out.push({
      entity: 'EMAIL',
      start: from + m.index,
      end: from + m.index + m[0].length,
      score: known ? 0.95 : 0.5,
      reason: known ? 'email:pattern+tld' : 'email:pattern+unknown_tld',
    });
  }
}
