import { parsePhoneNumberFromString, type CountryCode } from 'libphonenumber-js/max';
import type { Candidate } from '../entities.js';
import type { TextProfile } from '../text/context-index.js';
import { eachMatch, type Detector } from './detector.js';

// Digits in groups separated by one space, dot, dash or parentheses, optional +CC / 00 prefix and extension.
const PHONE_RE =
  /(?<![\w+@/.-]|\d[.-])(?:\+|00)?\(?\d{1,5}\)?(?:[ .-]{1,2}\(?\d{1,5}\)?){0,6}(?:[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6})?(?![\w@]|[.-]\d)/gi;
const DATE_LIKE_RE = /^(?:\d{4}[-./]\d{1,2}[-./]\d{1,2}|\d{1,2}[-./]\d{1,2}[-./]\d{2,4})$/;
const DATE_PREFIX_RE = /^(?:19|20)\d{2}-\d{2}-\d{2}/;
const EXT_RE = /[ ]?(?:x|ext\.?|extension)[ ]?\d{1,6}$/i;
// The body is already one phone-shaped run: parse it whole, skipping libphonenumber's search for a number in text.
const WHOLE = { extract: false } as const;
const SSN_LAYOUT_RE = /^\d{3}([- ])\d{2}\1\d{4}$/;
const TRAILING_SEPARATORS_RE = /[ .(-]+$/;

/** Offset of the last digit group of a phone-shaped run (the group and the separators before it go). */
function lastGroupStart(raw: string): number {
  let i = raw.length;
  while (i > 0 && !isDigit(raw.charCodeAt(i - 1))) i--;
  while (i > 0 && isDigit(raw.charCodeAt(i - 1))) i--;
  return i;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

interface Verdict {
  readonly valid: boolean;
  readonly possible: boolean;
  readonly region: string;
}

/** Verdicts kept per detector; the map is emptied when full (a hot number is back in it after one parse). */
const VERDICT_CACHE_SIZE = 4096;

export class PhoneDetector implements Detector {
  readonly name = 'phone';
  readonly entities = ['PHONE'] as const;
  readonly needsDigits = true;
  readonly minDigits = 7;
  /**
   * libphonenumber's verdict per phone-shaped body: a parse with full metadata costs microseconds per region, and
   * the same numbers (a hotline, a customer's own number) recur across the records of a dataset.
   */
  private readonly verdicts = new Map<string, Verdict>();

  constructor(private readonly regions: readonly CountryCode[]) {}

  detect(text: string, out: Candidate[], _profile?: TextProfile, offset = 0): void {
    eachMatch(PHONE_RE, text, (m) => {
      // A run of groups may hold a phone number and what follows it ("+1 415-555-0110 536-22-8210"): when the
      // whole run is no phone number, drop trailing groups (a few times) instead of losing the number.
      let raw = m[0];
      // A shape-only reading of the whole run is kept only if no shorter prefix parses as a number.
      let fallback: Candidate | undefined;
      for (let attempt = 0; attempt < 4; attempt++) {
        const verdict = this.candidate(m.index, raw, out, offset);
        if (verdict === 'done') break;
        if (typeof verdict === 'object') {
          // Only a run already cut back (it had more digits than E.164 allows) keeps looking for a parse.
          if (attempt === 0 || !verdict.reason.startsWith('phone:shape')) {
            out.push(verdict);
            return;
          }
          fallback ??= verdict;
        }
        const cut = lastGroupStart(raw);
        if (cut <= 0) break;
        raw = raw.slice(0, cut).replace(TRAILING_SEPARATORS_RE, '');
      }
      if (fallback) out.push(fallback);
    });
  }

  /** Judges one span: a candidate, 'retry' when only a shorter prefix may be a number, 'done' when none is. */
  private candidate(start: number, raw: string, out: readonly Candidate[], offset: number): Candidate | 'done' | 'retry' {
    let digitCount = 0;
    for (let i = 0; i < raw.length; i++) {
      const c = raw.charCodeAt(i);
      if (c >= 48 && c <= 57) digitCount++;
    }
    if (digitCount < 7) return 'done';
    // E.164 allows at most 15 digits.
    if (digitCount > 15) return 'retry';
    if (DATE_LIKE_RE.test(raw) || DATE_PREFIX_RE.test(raw)) return 'done';
    // A checksum-validated number (card, IBAN) already claims this span: skip the costly phone parse.
    const end = start + raw.length;
    for (const c of out) {
      if (c.score >= 0.8 && c.start <= start + offset && c.end >= end + offset) return 'done';
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
    } else if (grouped && body.replace(/[^ .()-]/g, '').length >= 1) {
      score = 0.25;
      reason = 'phone:shape';
    } else {
      return 'done';
    }
    // ddd-dd-dddd is the US SSN layout, not a phone grouping anywhere: without a "+" it stays below the SSN
    // reading, so a phone context word further away ("call ... SSN 536-22-8210") cannot take it over.
    if (!international && SSN_LAYOUT_RE.test(body)) {
      score = Math.min(score, 0.2);
      reason += '+ssn_layout';
    }
    return { entity: 'PHONE', start, end, score, reason };
  }

  private judge(body: string, international: boolean): Verdict {
    let verdict = this.verdicts.get(body);
    if (verdict === undefined) {
      verdict = this.parse(body, international);
      if (this.verdicts.size >= VERDICT_CACHE_SIZE) this.verdicts.clear();
      this.verdicts.set(body, verdict);
    }
    return verdict;
  }

  private parse(body: string, international: boolean): Verdict {
    let possibleRegion: string | undefined;
    if (international) {
      const intl = body.startsWith('00') ? '+' + body.slice(2) : body;
      const p = parsePhoneNumberFromString(intl, WHOLE);
      if (p?.isValid()) return { valid: true, possible: true, region: p.country ?? 'intl' };
      if (p?.isPossible()) possibleRegion = p.country ?? 'intl';
    } else {
      for (const region of this.regions) {
        const p = parsePhoneNumberFromString(body, { defaultCountry: region, extract: false });
        if (!p) continue;
        if (p.isValid()) return { valid: true, possible: true, region };
        if (possibleRegion === undefined && p.isPossible()) possibleRegion = region;
      }
    }
    return { valid: false, possible: possibleRegion !== undefined, region: possibleRegion ?? 'none' };
  }
}
