import { FheError } from '../fhe.error.js';
import { murmur3 } from './murmur3.js';

export interface TextHashingOptions {
  /** Output dimension (small: the FHE layout pads features + bias to a power of two). */
  readonly dimension: number;
  /** Word n-gram sizes, e.g. [1, 2]. */
  readonly wordNgrams?: readonly number[];
  /** Character n-gram sizes over `<word>`-padded tokens (fastText style), e.g. [3, 4]. */
  readonly charNgrams?: readonly number[];
  /** Hash seed; part of the feature definition, stored with the dataset. */
  readonly seed?: number;
}

export const DEFAULT_TEXT_HASHING: Required<Omit<TextHashingOptions, 'dimension'>> = Object.freeze({
  wordNgrams: Object.freeze([1, 2]),
  charNgrams: Object.freeze([3, 4]),
  seed: 0x5eed,
});

const encoder = new TextEncoder();
const TOKEN = /[\p{L}\p{N}]+/gu;

/**
 * Signed feature hashing (Weinberger et al. 2009, the scikit-learn FeatureHasher form): each n-gram adds ±1 at
 * murmur3(ngram) mod dimension, the sign from the hash's top bit so collisions cancel in expectation; the vector is
 * then L2-normalised, so |w·x| ≤ ‖w‖ and the polynomial sigmoid's input range can be bounded. Deterministic:
 * NFKC + lower-case, Unicode letters and digits as tokens, and n-grams keyed by kind so a word and a char gram with
 * the same text hash apart. A text without tokens gives the zero vector.
 */
export function hashTextFeatures(text: string, options: TextHashingOptions): Float64Array {
  const dimension = options.dimension;
  if (!Number.isInteger(dimension) || dimension < 1 || dimension > 1 << 16) {
    throw new FheError('invalid_features', 'the hashed feature dimension must be an integer from 1 to 65536');
  }
  const wordNgrams = options.wordNgrams ?? DEFAULT_TEXT_HASHING.wordNgrams;
  const charNgrams = options.charNgrams ?? DEFAULT_TEXT_HASHING.charNgrams;
  const seed = options.seed ?? DEFAULT_TEXT_HASHING.seed;
  for (const n of [...wordNgrams, ...charNgrams]) {
    if (!Number.isInteger(n) || n < 1 || n > 16) throw new FheError('invalid_features', 'n-gram sizes must be 1 to 16');
  }
  const out = new Float64Array(dimension);
  const tokens = text.normalize('NFKC').toLowerCase().match(TOKEN) ?? [];
  const add = (key: string): void => {
    const h = murmur3(encoder.encode(key), seed);
    out[h % dimension]! += h & 0x80000000 ? -1 : 1;
  };
  for (const n of wordNgrams) {
    for (let i = 0; i + n <= tokens.length; i++) add(`w${n}\u0000${tokens.slice(i, i + n).join(' ')}`);
  }
  for (const token of tokens) {
    const chars = Array.from(`<${token}>`);
    for (const n of charNgrams) {
      for (let i = 0; i + n <= chars.length; i++) add(`c${n}\u0000${chars.slice(i, i + n).join('')}`);
    }
  }
  let norm = 0;
  for (const v of out) norm += v * v;
  if (norm > 0) {
    const inv = 1 / Math.sqrt(norm);
    for (let i = 0; i < dimension; i++) out[i]! *= inv;
  }
  return out;
}
