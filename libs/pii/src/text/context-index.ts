import { PII_ENTITIES, type PiiEntity } from '../entities.js';

/** Where a context word or phrase of one or more entities occurs (UTF-16 offsets, end exclusive). */
export interface ContextHit {
  start: number;
  end: number;
  /** Bit i set: the phrase is a context word of PII_ENTITIES[i]. */
  mask: number;
}

/** What one pass over a text found: context words, and counts the detectors gate on. */
export interface TextProfile {
  readonly hits: readonly ContextHit[];
  /** OR of every hit's mask. */
  readonly mask: number;
  /** ASCII digits in the text. */
  readonly digits: number;
}

interface Phrase {
  /** First word, lowercase. */
  first: string;
  mask: number;
  /** Sticky, case-insensitive; set for phrases of several tokens or with punctuation ("date of birth", "ss#"). */
  verify?: RegExp;
}

const BLOOM_WORDS = 2048;

/** Bits below this one name entities (PII_ENTITIES order); feature words use the ones above. */
export const FEATURE_BITS_FROM = 1 << 20;

const BIT: Readonly<Record<PiiEntity, number>> = Object.fromEntries(PII_ENTITIES.map((e, i) => [e, 1 << i])) as Record<PiiEntity, number>;

export function entityBit(entity: PiiEntity): number {
  return BIT[entity];
}

const TOKEN_PART_RE = /[\p{L}\p{N}]+/gu;
const LETTER_OR_DIGIT_RE = /[\p{L}\p{N}]/u;

/**
 * Whole-word context matching in one pass over the text. Words are maximal runs of letters and digits, so "lic"
 * never matches inside "public" (Presidio #1063); each token is looked up in a map keyed by the first word of
 * every context phrase, and only phrases of several words or with punctuation are then checked with a regex
 * anchored at the token. Replaces one alternation regex per entity over every candidate's window.
 */
export class ContextIndex {
  /** Phrases by the hash of their first word (see `profile`). */
  private readonly byHash = new Map<number, Phrase[]>();
  /**
   * One bit per (hash mod 2^16) of every first word: most tokens of a text are no context word, and a bit test
   * rejects them without the Map lookup.
   */
  private readonly bloom = new Int32Array(BLOOM_WORDS);
  private readonly minLen: number;
  private readonly maxLen: number;

  /**
   * @param words context words per entity
   * @param features more words reported as hits with their own bits (≥ FEATURE_BITS_FROM), e.g. street words
   */
  constructor(words: Readonly<Record<PiiEntity, readonly string[]>>, features: readonly (readonly [string, number])[] = []) {
    let minLen = Infinity;
    let maxLen = 0;
    const single = new Map<string, number>();
    const multi = new Map<string, { first: string; mask: number }>();
    for (const entity of PII_ENTITIES) {
      for (const raw of words[entity]) {
        const phrase = raw.toLowerCase();
        const parts = phrase.match(TOKEN_PART_RE) ?? [];
        const first = parts[0];
        if (first === undefined) continue;
        if (parts.length === 1 && first === phrase) single.set(first, (single.get(first) ?? 0) | BIT[entity]);
        else {
          const m = multi.get(phrase);
          multi.set(phrase, { first, mask: (m?.mask ?? 0) | BIT[entity] });
        }
      }
    }
    for (const [word, bit] of features) {
      if (bit < FEATURE_BITS_FROM) throw new RangeError('feature bits start at FEATURE_BITS_FROM');
      const w = word.toLowerCase();
      single.set(w, (single.get(w) ?? 0) | bit);
    }
    const add = (p: Phrase): void => {
      let h = 0;
      for (let i = 0; i < p.first.length; i++) h = (Math.imul(h, 31) + lowerUnit(p.first.charCodeAt(i))) | 0;
      const slot = (h >>> 5) & (BLOOM_WORDS - 1);
      this.bloom[slot] = this.bloom[slot]! | (1 << (h & 31));
      const list = this.byHash.get(h);
      if (list) list.push(p);
      else this.byHash.set(h, [p]);
      minLen = Math.min(minLen, p.first.length);
      maxLen = Math.max(maxLen, p.first.length);
    };
    for (const [word, mask] of single) add({ first: word, mask });
    for (const [phrase, { first, mask }] of multi) {
      // Spaces inside a phrase accept any run of whitespace, '_' or '-' ("date_of_birth", "api-key").
      const source = phrase.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/ /g, '[\\s_-]+');
      add({ first, mask, verify: new RegExp(`${source}(?=$|[^\\p{L}\\p{N}])`, 'iuy') });
    }
    this.minLen = minLen;
    this.maxLen = maxLen;
  }

  /** One pass: context hits in text order, their union, and the digit count. */
  profile(text: string): TextProfile {
    const hits: ContextHit[] = [];
    let mask = 0;
    let digits = 0;
    const n = text.length;
    let i = 0;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (!isWordUnit(text, c, i)) {
        i++;
        continue;
      }
      const start = i;
      // Hash of the lowercased token, computed while scanning it: no substring or lowercase copy per word.
      let h = 0;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d < 128) {
          if (d >= 48 && d <= 57) digits++;
          else if (d >= 65 && d <= 90) {
            h = (Math.imul(h, 31) + (d | 32)) | 0;
            i++;
            continue;
          } else if (!(d >= 97 && d <= 122)) break;
          h = (Math.imul(h, 31) + d) | 0;
          i++;
        } else if (isWordUnit(text, d, i)) {
          h = (Math.imul(h, 31) + lowerUnit(d)) | 0;
          // An astral letter is one token unit: step over both halves of the surrogate pair.
          i += d >= 0xd800 && d <= 0xdbff && i + 1 < n ? 2 : 1;
        } else break;
      }
      const len = i - start;
      if (len < this.minLen || len > this.maxLen) continue;
      if ((this.bloom[(h >>> 5) & (BLOOM_WORDS - 1)]! & (1 << (h & 31))) === 0) continue;
      const phrases = this.byHash.get(h);
      if (phrases === undefined) continue;
      for (const p of phrases) {
        if (p.first.length !== len || !sameLower(text, start, p.first)) continue;
        let end = i;
        if (p.verify) {
          p.verify.lastIndex = start;
          if (!p.verify.test(text)) continue;
          end = p.verify.lastIndex;
        }
        hits.push({ start, end, mask: p.mask });
        mask |= p.mask;
      }
    }
    return { hits, mask, digits };
  }
}

/** True when a context word of `bit`'s entity lies within `before` units before [start, end) or `after` after it. */
export function contextNear(profile: TextProfile, bit: number, start: number, end: number, before: number, after: number): boolean {
  if ((profile.mask & bit) === 0) return false;
  const from = start - before;
  const to = end + after;
  for (const h of profile.hits) {
    if (h.start >= to) break;
    if ((h.mask & bit) === 0) continue;
    if (h.start >= Math.max(0, from) && h.end <= start) return true;
    if (h.start >= end && h.end <= to) return true;
  }
  return false;
}

/** Lowercase of one UTF-16 unit (identity when lowercasing would change the length), cached for the BMP. */
const LOWER = new Uint16Array(65536);

function lowerUnit(c: number): number {
  if (c < 128) return c >= 65 && c <= 90 ? c | 32 : c;
  let l = LOWER[c]!;
  if (l === 0) {
    const s = String.fromCharCode(c).toLowerCase();
    LOWER[c] = l = s.length === 1 ? s.charCodeAt(0) : c;
  }
  return l;
}

function sameLower(text: string, start: number, word: string): boolean {
  for (let k = 0; k < word.length; k++) if (lowerUnit(text.charCodeAt(start + k)) !== word.charCodeAt(k)) return false;
  return true;
}

/** Letter-or-digit class of BMP code units, filled lazily: 0 unknown, 1 word, 2 not. */
const BMP_CLASS = new Uint8Array(65536);

function isWordUnit(text: string, c: number, i: number): boolean {
  if (c < 128) return (c >= 48 && c <= 57) || (c >= 97 && c <= 122) || (c >= 65 && c <= 90);
  if (c >= 0xd800 && c <= 0xdbff) return LETTER_OR_DIGIT_RE.test(text.slice(i, i + 2));
  let k = BMP_CLASS[c]!;
  if (k === 0) BMP_CLASS[c] = k = LETTER_OR_DIGIT_RE.test(String.fromCharCode(c)) ? 1 : 2;
  return k === 1;
}
