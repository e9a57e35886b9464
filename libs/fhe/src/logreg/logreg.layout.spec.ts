import {
  CKKS_TRAINING_PARAMETERS,
  createLogRegLayout,
  logRegGaloisSteps,
  packLogRegSamples,
  packLogRegWeights,
  plainLogRegStep,
  unpackLogRegWeights,
} from '../index.js';

describe('logistic-regression layout', () => {
  it('needs the 17 Galois steps of fhe.md §6 for 1024 × 16 at N=16384 (bias makes 17 columns: stride 32)', () => {
    const layout = createLogRegLayout(CKKS_TRAINING_PARAMETERS, 15, 1024);
    expect(layout).toMatchObject({ stride: 16, rowsPerCiphertext: 512, ciphertexts: 2 });
    expect(logRegGaloisSteps(layout)).toEqual([1, 2, 4, 8, -1, -2, -4, -8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096]);
    const wide = createLogRegLayout(CKKS_TRAINING_PARAMETERS, 16, 1024);
    expect(wide).toMatchObject({ stride: 32, rowsPerCiphertext: 256, ciphertexts: 4 });
    expect(logRegGaloisSteps(wide)).toHaveLength(5 + 5 + 8);
  });

  it('packs y·[1, x] row-major with zero padding and replicates weights per row block', () => {
    const layout = createLogRegLayout(CKKS_TRAINING_PARAMETERS, 2, 3);
    const [slots] = packLogRegSamples(layout, [[0.5, -0.25], [1, 1], [0, 0.75]], [1, 0, -1]);
    expect(Array.from(slots!.subarray(0, 12))).toEqual([1, 0.5, -0.25, 0, -1, -1, -1, 0, -1, -0, -0.75, 0]);
    expect(slots!.subarray(12).every((v) => v === 0)).toBe(true);
    const w = packLogRegWeights(layout, [0.1, 0.2, 0.3]);
    expect(Array.from(w.subarray(4 * 1000, 4 * 1000 + 4))).toEqual([0.1, 0.2, 0.3, 0]);
    const noisy = Float64Array.from(w, (v, i) => v + (i % 8 < 4 ? 1e-6 : -1e-6));
    const back = unpackLogRegWeights(layout, noisy);
    back.forEach((v, j) => expect(v).toBeCloseTo([0.1, 0.2, 0.3][j]!, 12));
  });

  it('refuses bad shapes and labels with typed errors', () => {
    const layout = createLogRegLayout(CKKS_TRAINING_PARAMETERS, 2, 2);
    expect(() => packLogRegSamples(layout, [[1, 2], [3]], [0, 1])).toThrow(expect.objectContaining({ code: 'invalid_features' }));
    expect(() => packLogRegSamples(layout, [[1, 2], [3, 4]], [0, 2])).toThrow(expect.objectContaining({ code: 'invalid_labels' }));
    expect(() => packLogRegSamples(layout, [[1, NaN], [3, 4]], [0, 1])).toThrow(expect.objectContaining({ code: 'invalid_features' }));
    expect(() => createLogRegLayout(CKKS_TRAINING_PARAMETERS, 5000, 1)).toThrow(expect.objectContaining({ code: 'invalid_layout' }));
  });

  it('plaintext step equals the closed form on a hand example', () => {
    // one row x=[2], y=+1, w=[0,0]: t=0, g=c·0.5, c=α/n=1 → w' = [0.5, 1]
    expect(Array.from(plainLogRegStep([0, 0], [[2]], [1], { learningRate: 1 }))).toEqual([0.5, 1]);
    // t = w·z = 1·1 + 1·2 = 3 for y=+1 → g = 0.5 − 0.15012·3 + 0.001593·27
    const g = 0.5 - 0.15012 * 3 + 0.001593 * 27;
    const next = plainLogRegStep([1, 1], [[2]], [1], { learningRate: 1 });
    expect(next[0]).toBeCloseTo(1 + g, 12);
    expect(next[1]).toBeCloseTo(1 + 2 * g, 12);
  });
});
