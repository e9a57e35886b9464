import type { Candidate } from '../entities.js';
import type { TextProfile } from '../text/context-index.js';
import {
  aadhaarValid,
  caSinValid,
  deTaxIdValid,
  esDniNieValid,
  itFiscalCodeValid,
  nlBsnValid,
  plPeselValid,
  ukNhsValid,
  ukNinoValid,
} from '../validators/national-id.validator.js';
import { usItinValid } from '../validators/us-ssn.validator.js';
import { digitsOf, eachMatch, type Detector } from './detector.js';

export const NATIONAL_ID_KINDS = [
  'GB_NINO',
  'GB_NHS',
  'ES_DNI_NIE',
  'IT_FISCAL_CODE',
  'IN_AADHAAR',
  'NL_BSN',
  'PL_PESEL',
  'CA_SIN',
  'DE_TAX_ID',
  'US_ITIN',
] as const;
export type NationalIdKind = (typeof NATIONAL_ID_KINDS)[number];

interface IdRule {
  kind: NationalIdKind;
  re: RegExp;
  normalise: (raw: string) => string;
  valid: (compact: string) => boolean;
  /** Fewest ASCII digits a match can hold; windows with fewer skip the rule. */
  minDigits: number;
  /**
   * A pattern found inside every match, tested first: it starts with a class rare in prose and runs far faster
   * than `re`, whose leading `\b` is tried at every word start (for rules that no digit count can rule out).
   */
  gate?: RegExp;
  /** Score without context; checksums on short digit strings pass by chance, so those need context. */
  score: number;
  contextScore: number;
}

const upperAlnum = (raw: string): string => raw.replace(/[^A-Za-z0-9]/g, '').toUpperCase();

const RULES: readonly IdRule[] = [
  { kind: 'GB_NINO', minDigits: 6, re: /\b[A-Za-z]{2} ?\d{2} ?\d{2} ?\d{2} ?[A-Da-d]\b/g, normalise: upperAlnum, valid: ukNinoValid, score: 0.6, contextScore: 0.95 },
  { kind: 'GB_NHS', minDigits: 10, re: /(?<![\d.-])\d{3}([ -]?)\d{3}\1\d{4}(?![\d]|[.-]\d)/g, normalise: digitsOf, valid: ukNhsValid, score: 0.1, contextScore: 0.85 },
  { kind: 'ES_DNI_NIE', minDigits: 7, re: /\b(?:\d{8}|[XYZxyz]-?\d{7})-?[A-Za-z]\b/g, normalise: upperAlnum, valid: esDniNieValid, score: 0.7, contextScore: 0.95 },
  {
    kind: 'IT_FISCAL_CODE',
    minDigits: 0,
    // The code from its 7th character on.
    gate: /[\dLMNPQRSTUV]{2}[A-Za-z][\dLMNPQRSTUV]{2}[A-Za-z][\dLMNPQRSTUV]{3}[A-Za-z]\b/,
    re: /\b[A-Za-z]{6}[\dLMNPQRSTUV]{2}[A-Za-z][\dLMNPQRSTUV]{2}[A-Za-z][\dLMNPQRSTUV]{3}[A-Za-z]\b/g,
    normalise: upperAlnum,
    valid: itFiscalCodeValid,
    score: 0.9,
    contextScore: 1,
  },
  { kind: 'IN_AADHAAR', minDigits: 12, re: /(?<![\d.-])[2-9]\d{3}([ -]?)\d{4}\1\d{4}(?![\d]|[.-]\d)/g, normalise: digitsOf, valid: aadhaarValid, score: 0.3, contextScore: 0.9 },
  { kind: 'NL_BSN', minDigits: 9, re: /(?<![\d.-])\d{4}\.?\d{2}\.?\d{3}(?![\d]|[.-]\d)/g, normalise: digitsOf, valid: nlBsnValid, score: 0.1, contextScore: 0.85 },
  { kind: 'PL_PESEL', minDigits: 11, re: /(?<![\d.-])\d{11}(?![\d]|[.-]\d)/g, normalise: digitsOf, valid: plPeselValid, score: 0.25, contextScore: 0.9 },
  { kind: 'CA_SIN', minDigits: 9, re: /(?<![\d.-])\d{3}([ -]?)\d{3}\1\d{3}(?![\d]|[.-]\d)/g, normalise: digitsOf, valid: caSinValid, score: 0.1, contextScore: 0.85 },
  { kind: 'DE_TAX_ID', minDigits: 11, re: /(?<![\d.-])\d{2} ?\d{3} ?\d{3} ?\d{3}(?![\d]|[.-]\d)/g, normalise: digitsOf, valid: deTaxIdValid, score: 0.1, contextScore: 0.85 },
  { kind: 'US_ITIN', minDigits: 9, re: /(?<![\d.-])9\d{2}([- ]?)\d{2}\1\d{4}(?![\d]|[.-]\d)/g, normalise: digitsOf, valid: usItinValid, score: 0.3, contextScore: 0.9 },
];

/** Checksummed national identifiers, one rule per enabled kind. */
export class NationalIdDetector implements Detector {
  readonly name = 'national_id';
  readonly entities = ['NATIONAL_ID'] as const;
  readonly needsDigits = true;
  readonly minDigits = 1;
  private readonly rules: readonly IdRule[];

  constructor(kinds: readonly NationalIdKind[]) {
    this.rules = RULES.filter((r) => kinds.includes(r.kind));
  }

  detect(text: string, out: Candidate[], _profile?: TextProfile, _offset?: number, knownDigits?: number): void {
    const digits = knownDigits ?? digitsOf(text).length;
    for (const rule of this.rules) {
      if (digits < rule.minDigits || (rule.gate !== undefined && !rule.gate.test(text))) continue;
      eachMatch(rule.re, text, (m) => {
        if (!rule.valid(rule.normalise(m[0]))) return;
        out.push({
          entity: 'NATIONAL_ID',
          start: m.index,
          end: m.index + m[0].length,
          score: rule.score,
          contextScore: rule.contextScore,
          reason: `national_id:${rule.kind.toLowerCase()}_checksum`,
        });
      });
    }
  }
}
