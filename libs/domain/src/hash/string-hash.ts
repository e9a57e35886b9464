/**
 * Non-cryptographic 32-bit hashing shared by the feature hasher (libs/training), the duplicate-row fingerprints
 * (libs/datasets) and the packed word lists (libs/pii). Pure 32-bit integer arithmetic: identical everywhere, so the
 * feature hashes a model was trained with stay the ones it is asked with.
 */

/** murmur3's fmix32 finaliser: every input bit affects every output bit, low bits included. */
export function fmix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a over a string's UTF-16 code units, then fmix32, so that both the low bits and the top bit are well mixed. */
export function hashString(s: string, seed = 0): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return fmix32(h);
}
