import { DEFAULT_NGRAM_HASHING, hashNgrams, hashString } from './ngram-hasher.js';

describe('hashed n-gram features', () => {
  const o = { ...DEFAULT_NGRAM_HASHING, dimension: 1 << 20 };

  it('is a sorted, L2-normalised sparse vector that ignores case and Unicode compatibility forms', () => {
    const v = hashNgrams('Refund my ORDER, please', o);
    expect([...v.indices]).toEqual([...v.indices].sort((a, b) => a - b));
    expect(new Set(v.indices).size).toBe(v.indices.length);
    expect(v.values.reduce((s, x) => s + x * x, 0)).toBeCloseTo(1, 6);
    expect(hashNgrams('ｒｅｆｕｎｄ my order please', o)).toEqual(v);
    expect(hashNgrams('!!!', o)).toEqual({ indices: new Uint32Array(), values: new Float32Array() });
  });

  it('counts each n-gram once: 3 unigrams + 2 bigrams + char 3/4-grams of <a>, <bc>, <de>', () => {
    const v = hashNgrams('a bc de', { ...o, dimension: 1 << 24 });
    // <a>: 1 trigram; <bc>,<de>: 2 trigrams + 1 four-gram each → 7 char grams; 5 word grams.
    expect(v.indices.length).toBe(12);
  });

  it('keeps a fixed hash (the feature definition is part of every exported model)', () => {
    expect(hashString('', 0)).toBe(2872998923);
    expect(hashString('refund', 0x5eed)).toBe(2790630559);
    expect([...hashNgrams('refund please', { ...o, dimension: 1 << 16 }).indices].slice(0, 4)).toEqual([1982, 2394, 2889, 3068]);
  });
});
