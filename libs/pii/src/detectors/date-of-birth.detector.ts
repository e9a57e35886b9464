import type { Candidate } from '../entities.js';
import { calendarDateValid, expandYear, monthNumber } from '../validators/date.validator.js';
import { eachMatch, type Detector } from './detector.js';

const NUMERIC_RE = /(?<![\d/.-])(\d{1,4})([/.-])(\d{1,2})\2(\d{2,4})(?![\d]|[/.-]\d)/g;
const MONTH = '(Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?)';
const DAY_MONTH_YEAR_RE = new RegExp(`\\b(\\d{1,2})(?:st|nd|rd|th)?(?:\\s+of)?[\\s-]+${MONTH}\\.?,?[\\s-]+(\\d{4}|'?\\d{2})\\b`, 'gi');
const MONTH_DAY_YEAR_RE = new RegExp(`\\b${MONTH}\\.?\\s+(\\d{1,2})(?:st|nd|rd|th)?,?\\s+(\\d{4})\\b`, 'gi');

/**
 * Calendar dates in a plausible birth-year range. A date alone is not a date of birth: without a birth context
 * word nearby (or a DOB field name) the score stays below every sensible threshold.
 */
export class DateOfBirthDetector implements Detector {
  readonly name = 'date_of_birth';
  readonly entities = ['DATE_OF_BIRTH'] as const;
  readonly needsDigits = true;
  readonly minDigits = 3;
  readonly gatedBy = 'DATE_OF_BIRTH' as const;

  constructor(private readonly currentYear: number) {}

  detect(text: string, out: Candidate[]): void {
    const push = (start: number, end: number, reason: string): void => {
      out.push({ entity: 'DATE_OF_BIRTH', start, end, score: 0.1, contextScore: 0.9, reason });
    };
    eachMatch(NUMERIC_RE, text, (m) => {
      const a = Number(m[1]);
      const b = Number(m[3]);
      const c = m[4] ?? '';
      let ok = false;
      if (m[1]!.length === 4) {
        ok = c.length <= 2 && this.plausible(a, b, Number(c));
      } else if (m[1]!.length <= 2) {
        const y = expandYear(Number(c), this.currentYear);
        // Day-first or month-first: either reading may be the real one.
        ok = this.plausible(y, b, a) || this.plausible(y, a, b);
      }
      if (ok) push(m.index, m.index + m[0].length, 'date_of_birth:numeric_date');
    });
    eachMatch(DAY_MONTH_YEAR_RE, text, (m) => {
      const y = expandYear(Number((m[3] ?? '').replace("'", '')), this.currentYear);
      if (this.plausible(y, monthNumber(m[2] ?? '') ?? 0, Number(m[1]))) push(m.index, m.index + m[0].length, 'date_of_birth:text_date');
    });
    eachMatch(MONTH_DAY_YEAR_RE, text, (m) => {
      if (this.plausible(Number(m[3]), monthNumber(m[1] ?? '') ?? 0, Number(m[2]))) push(m.index, m.index + m[0].length, 'date_of_birth:text_date');
    });
  }

  private plausible(y: number, m: number, d: number): boolean {
    return y >= 1900 && y <= this.currentYear && calendarDateValid(y, m, d);
  }
}
