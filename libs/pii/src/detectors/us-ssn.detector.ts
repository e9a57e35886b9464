import type { Candidate } from '../entities.js';
import { usSsnValid } from '../validators/us-ssn.validator.js';
import { eachMatch, type Detector } from './detector.js';

// The back-reference keeps the two delimiters identical (mixed delimiters are not SSNs).
const SSN_RE = /(?<![\d.-])(\d{3})([- .]?)(\d{2})\2(\d{4})(?![\d]|[.-]\d)/g;

export class UsSsnDetector implements Detector {
  readonly name = 'us_ssn';
  readonly entities = ['US_SSN'] as const;
  readonly needsDigits = true;
  readonly minDigits = 9;

  detect(text: string, out: Candidate[]): void {
    eachMatch(SSN_RE, text, (m) => {
      const digits = `${m[1]}${m[3]}${m[4]}`;
      if (!usSsnValid(digits)) return;
      const sep = m[2];
      const score = sep === '-' ? 0.6 : sep === '' ? 0.1 : 0.35;
      out.push({
        entity: 'US_SSN',
        start: m.index,
        end: m.index + m[0].length,
        score,
        contextScore: sep === '' ? 0.7 : 0.95,
        reason: sep === '' ? 'us_ssn:digits' : 'us_ssn:pattern',
      });
    });
  }
}
