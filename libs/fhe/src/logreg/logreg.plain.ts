import { signedLabel } from './logreg.layout.js';

/**
 * σ(−t) ≈ 0.5 − 0.15012·t + 0.001593·t³: the degree-3 least-squares fit on [−8, 8] (Kim et al. 2018; the
 * iDASH-2017 / HEBench `PolyD3` coefficients, research/fhe.md §7). Valid only for |t| ≤ 8: keep features in
 * [−1, 1] or L2-normalised and the learning rate conservative (α = 8 diverges, fhe.md §6).
 */
export const SIGMOID_NEG_POLY3 = Object.freeze({ a0: 0.5, a1: -0.15012, a3: 0.001593 });
export const SIGMOID_POLY3_RANGE = 8;

export interface LogRegStepOptions {
  /** α: the step is w ← w + (α/n)·Σ g(zᵢ·w)·zᵢ. */
  readonly learningRate: number;
}

/**
 * One gradient-ascent step on the log-likelihood in plaintext, with exactly the encrypted kernel's arithmetic
 * (same polynomial, same constant folding c·a3·t·t² + c·a1·t + c·a0), so the two can be compared directly.
 * `weights` is [bias, w1..wd]; features are rows of d values; labels 0/1 or ±1.
 */
export function plainLogRegStep(
  weights: ArrayLike<number>,
  features: readonly ArrayLike<number>[],
  labels: readonly number[],
  options: LogRegStepOptions,
): Float64Array {
  const d = weights.length;
  const c = options.learningRate / features.length;
  const { a0, a1, a3 } = SIGMOID_NEG_POLY3;
  const next = Float64Array.from(weights);
  features.forEach((x, i) => {
    const y = signedLabel(labels[i]!, i + 1);
    let t = y * weights[0]!;
    for (let j = 1; j < d; j++) t += y * x[j - 1]! * weights[j]!;
    const g = c * a3 * t * (t * t) + c * a1 * t + c * a0;
    next[0]! += g * y;
    for (let j = 1; j < d; j++) next[j]! += g * y * x[j - 1]!;
  });
  return next;
}

/** Decision score w·[1, x]. */
export function logRegScore(weights: ArrayLike<number>, x: ArrayLike<number>): number {
  let s = weights[0]!;
  for (let j = 1; j < weights.length; j++) s += weights[j]! * x[j - 1]!;
  return s;
}

/** Fraction of rows whose predicted class (score > 0 → 1) matches the label. */
export function logRegAccuracy(
  weights: ArrayLike<number>,
  features: readonly ArrayLike<number>[],
  labels: readonly number[],
): number {
  let correct = 0;
  features.forEach((x, i) => {
    if ((logRegScore(weights, x) > 0 ? 1 : -1) === signedLabel(labels[i]!, i + 1)) correct++;
  });
  return features.length === 0 ? 0 : correct / features.length;
}
