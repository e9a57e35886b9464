import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Candidate } from '../entities.js';
import { eachMatch, type Detector } from './detector.js';

// Digits in groups separated by one space, dot, dash or parentheses, optional +CC / 00 prefix and extension.
const PHONE_RE =
  /(?<![\w+@/.-]|\d[.-])(?:\+|00)?\(?\d{1,5}\)?(?:[ .-]{1,2}\(?\d{1,5}\)?){0,6}(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?![\w@]|[.-]\d)/gi;
const DATE_LIKE_RE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;
const DATE_PREFIX_RE = /^(?:19|20)\d{2}-\d{2}-\d{2}/;
const EXT_RE = /[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}$/i;

export class PhoneDetector implements Detector {
  readonly name = 'phone';
  readonly entities = ['PHONE'] as const;
  readonly needsDigits = true;

  constructor(private readonly regions: readonly CountryCode[]) {}

  detect(text: string, out: Candidate[]): void {
    const claimedFrom = 0;
    eachMatch(PHONE_RE, text, (m) => {
      const raw = m[0];
      let digitCount = 0;
      for (let i = 0; i < raw.length; i++) {
        const c = raw.charCodeAt(i);
        if (c >= 48 && c <= 57) digitCount++;
      }
      // E.164 allows at most 15 digits.
      if (digitCount < 7 || digitCount > 15) return;
      if (DATE_LIKE_RE.test(raw) || DATE_PREFIX_RE.test(raw)) return;
      // A checksum-validated number (card, IBAN) already claims this span: skip the costly phone parse.
      const start = m.index;
      const end = start + raw.length;
      for (let i = claimedFrom; i < out.length; i++) {
        const c = out[i]!;
        if (c.score >= 0.8 && c.start <= start && c.end >= end) return;
      }
      const body = raw.replace(EXT_RE, '');
      const grouped = /[ .()-]/.test(body);
      const international = body.startsWith('+') || body.startsWith('00');
      const verdict = this.judge(body, international);
      let score: number;
      let reason: string;
      const groups = body.split(/[ .()-]+/).filter((g) => g.length > 0).length;
      if (verdict.valid) {
        // Two bare digit groups ("3747 3911") are as often house numbers or postcodes as phone numbers.
        score = international || body.includes('(') || groups >= 3 ? 0.7 : 0.45;
        reason = `phone:valid_${verdict.region.toLowerCase()}`;
      } else if (verdict.possible) {
        score = grouped ? 0.5 : 0.3;
        reason = `phone:possible_${verdict.region.toLowerCase()}`;
      } else if (grouped && digitCount <= 15 && body.replace(/[^ .()-]/g, '').length >= 1) {
        score = 0.25;
        reason = 'phone:shape';
      } else {
        return;
      }
      out.push({ entity: 'PHONE', start: m.index, end: m.index + raw.length, score, reason });
    });
  }

  private judge(body: string, international: boolean): { valid: boolean; possible: boolean; region: string } {
    let possibleRegion: string | undefined;
    if (international) {
      const intl = body.startsWith('00') ? '+' + body.slice(2) : body;
      const p = parsePhoneNumberFromString(intl);
      if (p?.isValid()) return { valid: true, possible: true, region: p.country ?? 'intl' };
      if (p?.isPossible()) possibleRegion = p.country ?? 'intl';
    } else {
      for (const region of this.regions) {
        const p = parsePhoneNumberFromString(body, region);
        if (!p) continue;
        if (p.isValid()) return { valid: true, possible: true, region };
        if (possibleRegion === undefined && p.isPossible()) possibleRegion = region;
      }
    }
    return { valid: false, possible: possibleRegion !== undefined, region: possibleRegion ?? 'none' };
  }
}
