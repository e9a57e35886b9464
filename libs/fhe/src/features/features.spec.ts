import { deriveRowFeatures, featureDimension, fitNumericScaler, hashTextFeatures, murmur3, scaleNumericRow } from '../index.js';

describe('murmur3', () => {
  it('matches the reference x86_32 vectors', () => {
    const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
    expect(murmur3(enc(''), 0)).toBe(0);
    expect(murmur3(enc(''), 1)).toBe(0x514e28b7);
    expect(murmur3(enc('hello'), 0)).toBe(0x248bfa47);
    expect(murmur3(enc('The quick brown fox jumps over the lazy dog'), 0)).toBe(0x2e4ff723);
    expect(murmur3(enc('abc'), 0)).toBe(0xb3dd93fa);
  });
});

describe('hashTextFeatures', () => {
  it('is deterministic, L2-normalised and signed', () => {
    const a = hashTextFeatures('Refund my order, please!', { dimension: 16 });
    const b = hashTextFeatures('refund MY order please', { dimension: 16 });
    expect(Array.from(a)).toEqual(Array.from(b)); // case and punctuation are not features
    expect(Math.hypot(...a)).toBeCloseTo(1, 12);
    expect(a.some((v) => v < 0)).toBe(true);
    expect(a.some((v) => v > 0)).toBe(true);
  });

  it('changes with the text, the seed and the n-gram setup', () => {
    const base = hashTextFeatures('cancel my subscription', { dimension: 32 });
    expect(Array.from(hashTextFeatures('renew my subscription', { dimension: 32 }))).not.toEqual(Array.from(base));
    expect(Array.from(hashTextFeatures('cancel my subscription', { dimension: 32, seed: 7 }))).not.toEqual(Array.from(base));
    expect(Array.from(hashTextFeatures('cancel my subscription', { dimension: 32, charNgrams: [] }))).not.toEqual(Array.from(base));
  });

  it('gives the zero vector for text without tokens and refuses bad dimensions', () => {
    expect(Array.from(hashTextFeatures(' ,.;', { dimension: 4 }))).toEqual([0, 0, 0, 0]);
    expect(() => hashTextFeatures('x', { dimension: 0 })).toThrow(expect.objectContaining({ code: 'invalid_features' }));
  });

  it('separates two topics well enough for a linear model (similar texts are closer)', () => {
    const dot = (x: Float64Array, y: Float64Array): number => x.reduce((s, v, i) => s + v * y[i]!, 0);
    const o = { dimension: 64 };
    const r1 = hashTextFeatures('I want a refund for my broken order', o);
    const r2 = hashTextFeatures('please refund the broken order', o);
    const s1 = hashTextFeatures('what time does the store open on sunday', o);
    expect(dot(r1, r2)).toBeGreaterThan(dot(r1, s1) + 0.2);
  });
});

describe('numeric scaler', () => {
  const rows = [
    { age: '30', income: 1000, constant: 5 },
    { age: '40', income: 3000, constant: 5 },
    { age: '50', income: 2000, constant: 5 },
  ];

  it('fits z-score stats on the training rows and applies them with clipping to [-1, 1]', () => {
    const stats = fitNumericScaler(rows, ['age', 'income', 'constant']);
    expect(stats.columns[0]).toMatchObject({ name: 'age', mean: 40, count: 3 });
    expect(stats.columns[0]!.std).toBeCloseTo(Math.sqrt(200 / 3), 12);
    expect(stats.columns[2]!.std).toBe(0);
    const z = scaleNumericRow(stats, { age: 50, income: 2000, constant: 5 });
    expect(z[0]).toBeCloseTo(10 / Math.sqrt(200 / 3) / 3, 12);
    expect(z[1]).toBeCloseTo(0, 12);
    expect(z[2]).toBe(0);
    expect(scaleNumericRow(stats, { age: 1e9, income: -1e9, constant: 5 })).toEqual(Float64Array.from([1, -1, 0]));
    expect(JSON.parse(JSON.stringify(stats))).toEqual(stats); // stored with the dataset as JSON
  });

  it('names the column and row of a bad value without echoing it', () => {
    const error = (() => {
      try {
        fitNumericScaler([...rows, { age: 'SECRET-42', income: 1, constant: 5 }], ['age']);
      } catch (e) {
        return e as Error & { code: string; target: string };
      }
      throw new Error('expected a failure');
    })();
    expect(error.code).toBe('numeric_value_invalid');
    expect(error.target).toBe('4:age');
    expect(error.message).not.toContain('SECRET');
    expect(() => fitNumericScaler([], ['age'])).toThrow(expect.objectContaining({ code: 'invalid_features' }));
  });
});

describe('deriveRowFeatures', () => {
  it('concatenates hashed text blocks and scaled numeric columns in definition order', () => {
    const numeric = fitNumericScaler([{ amount: 10 }, { amount: 30 }], ['amount']);
    const definition = { version: 1 as const, text: [{ field: 'note', hashing: { dimension: 8 } }], numeric };
    expect(featureDimension(definition)).toBe(9);
    const v = deriveRowFeatures(definition, { note: 'late payment fee', amount: 30 });
    expect(Array.from(v.subarray(0, 8))).toEqual(Array.from(hashTextFeatures('late payment fee', { dimension: 8 })));
    expect(v[8]).toBeCloseTo(1 / 3, 12); // z = (30 − 20)/10 = 1, clipped at 3 → 1/3
    expect(Array.from(deriveRowFeatures(definition, { amount: 20 }).subarray(0, 8))).toEqual(new Array(8).fill(0));
    expect(() => deriveRowFeatures(definition, { note: 'x' }, 7)).toThrow(
      expect.objectContaining({ code: 'numeric_value_invalid', target: '7:amount' }),
    );
  });
});
