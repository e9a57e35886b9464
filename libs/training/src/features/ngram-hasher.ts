import { fmix32, hashString } from '@confide/domain';
import { TrainingError } from '../training.error.js';

/** A sparse feature vector: strictly increasing indices and their values (same length). */
export interface SparseVector {
  readonly indices: Uint32Array;
  readonly values: Float32Array;
}

export interface NgramHashingOptions {
  /** Number of hashed feature buckets (1 to 2^24). */
  readonly dimension: number;
  /** Word n-gram sizes, e.g. [1, 2]. */
  readonly wordNgrams: readonly number[];
  /** Character n-gram sizes over `<word>`-padded tokens (fastText style), e.g. [3, 4]; [] for none. */
  readonly charNgrams: readonly number[];
  /** Hash seed: part of the feature definition and stored in the model. */
  readonly hashSeed: number;
}

export const DEFAULT_NGRAM_HASHING: NgramHashingOptions = Object.freeze({
  dimension: 1 << 18,
  wordNgrams: Object.freeze([1, 2]),
  charNgrams: Object.freeze([3, 4]),
  hashSeed: 0x5eed,
});

const TOKEN = /[\p{L}\p{N}]+/gu;
const MAX_NGRAM = 8;

export function assertHashingOptions(o: NgramHashingOptions): void {
  if (!Number.isInteger(o.dimension) || o.dimension < 1 || o.dimension > 1 << 24) {
    throw new TrainingError('invalid_options', 'the feature dimension must be an integer from 1 to 2^24', 'dimension');
  }
  if (o.wordNgrams.length === 0 && o.charNgrams.length === 0) {
    throw new TrainingError('invalid_options', 'at least one word or character n-gram size is required', 'wordNgrams');
  }
  for (const n of [...o.wordNgrams, ...o.charNgrams]) {
    if (!Number.isInteger(n) || n < 1 || n > MAX_NGRAM) {
      throw new TrainingError('invalid_options', `n-gram sizes must be integers from 1 to ${MAX_NGRAM}`, 'ngrams');
    }
  }
  if (!Number.isInteger(o.hashSeed) || o.hashSeed < 0 || o.hashSeed > 0xffffffff) {
    throw new TrainingError('invalid_options', 'the hash seed must be a 32-bit unsigned integer', 'hashSeed');
  }
}

// Feature hashes (FNV-1a + fmix32) are the shared string hash: models depend on them staying exactly these.
export { hashString };

/** NFKC, lower-case, Unicode letters and digits as tokens. */
export function tokenize(text: string): string[] {
  // NFKC is the identity on ASCII, and most training text is ASCII: skip the normaliser then (same result).
  const normal = ASCII.test(text) ? text : text.normalize('NFKC');
  return normal.toLowerCase().match(TOKEN) ?? [];
}

const ASCII = /^[\x00-\x7f]*$/;

// Distinct starting states per n-gram kind and size, so a word and a character gram with the same text hash apart.
const WORD_SALT = 0x9e3779b1;
const CHAR_SALT = 0x85ebca77;

/**
 * Signed feature hashing (Weinberger et al. 2009): each word and character n-gram adds ±1 at hash mod dimension, the
 * sign from the hash's top bit so collisions cancel in expectation. A word n-gram's hash chains the n token hashes
 * (FNV-1a + fmix32 each); a character n-gram over the `<token>`-padded code units (fastText style) is hashed from
 * its units directly, so no substring is ever built. Kind and size seed each hash. The vector is L2-normalised
 * (float64, stored as float32) so long and short texts train at the same scale. No tokens: the empty vector.
 */
export function hashNgrams(text: string, o: NgramHashingOptions): SparseVector {
  const tokens = tokenize(text);
  const keys: number[] = [];
  const dim = o.dimension;
  const add = (h: number): void => {
    keys.push((h % dim) * 2 + (h >>> 31));
  };
  if (o.wordNgrams.length > 0) {
    const th = tokens.map((t) => hashString(t, o.hashSeed));
    for (const n of o.wordNgrams) {
      const start = fmix32((WORD_SALT ^ Math.imul(n, 0x27d4eb2f) ^ o.hashSeed) >>> 0);
      for (let i = 0; i + n <= th.length; i++) {
        let h = start;
        for (let j = 0; j < n; j++) h = fmix32((Math.imul(h, 0x01000193) ^ th[i + j]!) >>> 0);
        add(h);
      }
    }
  }
  if (o.charNgrams.length > 0) {
    for (const token of tokens) {
      const padded = `<${token}>`;
      const units = padded.length;
      for (const n of o.charNgrams) {
        const start = (0x811c9dc5 ^ fmix32((CHAR_SALT ^ Math.imul(n, 0x27d4eb2f) ^ o.hashSeed) >>> 0)) >>> 0;
        for (let i = 0; i + n <= units; i++) {
          let h = start;
          for (let j = i; j < i + n; j++) h = Math.imul(h ^ padded.charCodeAt(j), 0x01000193);
          add(fmix32(h));
        }
      }
    }
  }
  // Sort by bucket, then sum the ±1 contributions per bucket.
  const sorted = Uint32Array.from(keys).sort();
  const indices: number[] = [];
  const counts: number[] = [];
  for (let i = 0; i < sorted.length; ) {
    const bucket = sorted[i]! >>> 1;
    let sum = 0;
    for (; i < sorted.length && sorted[i]! >>> 1 === bucket; i++) sum += sorted[i]! & 1 ? -1 : 1;
    if (sum !== 0) {
      indices.push(bucket);
      counts.push(sum);
    }
  }
  let norm = 0;
  for (const v of counts) norm += v * v;
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  return { indices: Uint32Array.from(indices), values: Float32Array.from(counts, (v) => v * inv) };
}
