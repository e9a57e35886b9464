import type { Candidate, PiiEntity } from '../entities.js';
import type { TextProfile } from '../text/context-index.js';

/** A recognizer: appends raw candidates (UTF-16 offsets) for one or more entities to `out`. */
export interface Detector {
  readonly name: string;
  readonly entities: readonly PiiEntity[];
  /**
   * When set, the detector only fires if a context word of this entity occurs somewhere in the text (or the field
   * name hints the entity), so weak shape-only patterns cost nothing on ordinary text.
   */
  readonly gatedBy?: PiiEntity;
  /**
   * Every match contains an ASCII digit: the analyzer then runs the detector only on windows around digit runs,
   * which skips most of ordinary prose.
   */
  readonly needsDigits?: boolean;
  /** With `needsDigits`: fewest ASCII digits any match holds; windows with fewer are skipped. */
  readonly minDigits?: number;
  /** Words this detector wants found by the analyzer's single pass over the text (reported in `profile`). */
  readonly featureWords?: readonly (readonly [string, number])[];
  /**
   * `profile` is the analyzer's one pass over this very text; absent when `text` is a window of it. `offset` is
   * where `text` starts in the analyzed string: candidates already in `out` carry offsets into that string.
   * `digits`, when given, is the number of ASCII digits in `text`.
   */
  detect(text: string, out: Candidate[], profile?: TextProfile, offset?: number, digits?: number): void;
}

/** Runs a global regex over text from the start, calling `fn` for each match. */
export function eachMatch(re: RegExp, text: string, fn: (m: RegExpExecArray) => void): void {
  re.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    fn(m);
    if (m[0].length === 0) re.lastIndex++;
  }
}

/** ASCII digits of s, everything else dropped. */
export function digitsOf(s: string): string {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) out += s[i];
  }
  return out;
}
