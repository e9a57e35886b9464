import type { Candidate } from '../entities.js';
import { eachMatch, type Detector } from './detector.js';

const EMAIL_RE =
  /[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])/g;

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

  private scan(text: string, from: number, to: number, out: Candidate[]): void {
    const window = text.slice(from, to);
    eachMatch(EMAIL_RE, window, (m) => {
      m.index += from;
      const tld = (m[1] ?? '').toLowerCase();
      const known = tld.length === 2 || GENERIC_TLDS.has(tld);
      out.push({
        entity: 'EMAIL',
        start: m.index,
        end: m.index + m[0].length,
        score: known ? 0.95 : 0.5,
        reason: known ? 'email:pattern+tld' : 'email:pattern+unknown_tld',
      });
    });
  }
}
