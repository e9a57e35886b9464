/**
 * A seeded, roughly linearly separable binary problem (the one research/fhe-bench.mjs uses): features in [−1, 1]
 * (Gaussian / 2.5, clipped), labels from a random hyperplane plus noise. For tests and benchmarks.
 */
export interface SyntheticLogRegData {
  readonly train: { readonly features: Float64Array[]; readonly labels: number[] };
  readonly test: { readonly features: Float64Array[]; readonly labels: number[] };
}

export function syntheticLogRegData(samples: number, features: number, seed: number): SyntheticLogRegData {
  const random = mulberry32(seed);
  const gauss = (): number => {
    let u = 0;
    while (u === 0) u = random();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
  };
  const bias = 0.3;
  const truth = Float64Array.from({ length: features }, gauss);
  const split = (): { features: Float64Array[]; labels: number[] } => {
    const rows: Float64Array[] = [];
    const labels: number[] = [];
    for (let i = 0; i < samples; i++) {
      const x = Float64Array.from({ length: features }, () => Math.max(-1, Math.min(1, gauss() / 2.5)));
      let s = bias;
      for (let j = 0; j < features; j++) s += x[j]! * truth[j]!;
      rows.push(x);
      labels.push(s + 0.3 * gauss() > 0 ? 1 : 0);
    }
    return { features: rows, labels };
  };
  return { train: split(), test: split() };
}

function mulberry32(seed: number): () => number {
  let state = seed | 0;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
