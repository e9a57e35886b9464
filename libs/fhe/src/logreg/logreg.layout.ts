import { FheError } from '../fhe.error.js';
import { ckksSlots, type CkksParameters } from '../params/ckks-parameters.js';

/**
 * Row-major packing of Z = y·[1, x] (labels y ∈ {−1, +1} folded into the samples, bias first) into CKKS slots:
 * each sample takes `stride` consecutive slots (features + 1 rounded up to a power of two, zero padded), so a
 * ciphertext holds `slots / stride` samples. Weights are packed the same way, replicated once per row block.
 * Public: the node needs it, and it reveals only the shape (n, d) that the ciphertext sizes reveal anyway.
 */
export interface LogRegLayout {
  readonly version: 1;
  /** Feature count without the bias. */
  readonly features: number;
  /** Slots per sample: next power of two ≥ features + 1. */
  readonly stride: number;
  readonly slots: number;
  readonly rowsPerCiphertext: number;
  readonly samples: number;
  readonly ciphertexts: number;
}

/** Levels one gradient step consumes: Z⊙W, row mask, t², c·a3·t·t², g(t)⊙Z. */
export const LOGREG_LEVELS = 5;

export function createLogRegLayout(parameters: CkksParameters, features: number, samples: number): LogRegLayout {
  const slots = ckksSlots(parameters);
  if (!Number.isInteger(features) || features < 1) {
    throw new FheError('invalid_layout', 'feature count must be a positive integer');
  }
  if (!Number.isInteger(samples) || samples < 1) {
    throw new FheError('invalid_layout', 'sample count must be a positive integer');
  }
  let stride = 1;
  while (stride < features + 1) stride *= 2;
  if (stride > slots / 2) {
    throw new FheError('invalid_layout', `at most ${slots / 2 - 1} features fit this parameter set`);
  }
  const rowsPerCiphertext = slots / stride;
  return {
    version: 1,
    features,
    stride,
    slots,
    rowsPerCiphertext,
    samples,
    ciphertexts: Math.ceil(samples / rowsPerCiphertext),
  };
}

export function assertLayoutFits(layout: LogRegLayout, parameters: CkksParameters): void {
  const expected = createLogRegLayout(parameters, layout.features, layout.samples);
  if (
    layout.version !== 1 ||
    layout.stride !== expected.stride ||
    layout.slots !== expected.slots ||
    layout.rowsPerCiphertext !== expected.rowsPerCiphertext ||
    layout.ciphertexts !== expected.ciphertexts
  ) {
    throw new FheError('invalid_layout', 'the layout does not match the CKKS parameters');
  }
}

/**
 * The only rotations the kernel performs, so the only Galois keys to generate and ship (fhe.md §6: 17 for 16
 * features at N=16384, ≈6 MB each seeded+zstd, against 156 MB for SEAL's default set):
 * +1, +2, … +stride/2 (inner product within a row block), the same negated (replicate t over the block), and
 * stride, 2·stride, … slots/2 (sum the gradient over the row blocks of a ciphertext).
 */
export function logRegGaloisSteps(layout: LogRegLayout): number[] {
  const inner: number[] = [];
  for (let s = 1; s < layout.stride; s *= 2) inner.push(s);
  const rows: number[] = [];
  for (let s = layout.stride; s < layout.slots; s *= 2) rows.push(s);
  return [...inner, ...inner.map((s) => -s), ...rows];
}

/** Maps a binary label (0/1 or −1/+1) to ±1. */
export function signedLabel(label: number, row: number): 1 | -1 {
  if (label === 1) return 1;
  if (label === 0 || label === -1) return -1;
  throw new FheError('invalid_labels', `label on row ${row} must be 0/1 or -1/+1`, String(row));
}

/** Slot vectors of Z = y·[1, x] (one Float64Array per ciphertext). Features should lie in [-1, 1] or be L2-normalised. */
export function packLogRegSamples(
  layout: LogRegLayout,
  features: readonly ArrayLike<number>[],
  labels: readonly number[],
): Float64Array[] {
  if (features.length !== layout.samples || labels.length !== layout.samples) {
    throw new FheError('invalid_layout', 'feature and label counts must equal the layout sample count');
  }
  const out: Float64Array[] = [];
  for (let c = 0; c < layout.ciphertexts; c++) out.push(new Float64Array(layout.slots));
  features.forEach((x, i) => {
    if (x.length !== layout.features) {
      throw new FheError('invalid_features', `row ${i + 1} has ${x.length} features, expected ${layout.features}`);
    }
    const y = signedLabel(labels[i]!, i + 1);
    const block = out[Math.floor(i / layout.rowsPerCiphertext)]!;
    const base = (i % layout.rowsPerCiphertext) * layout.stride;
    block[base] = y;
    for (let j = 0; j < layout.features; j++) {
      const v = x[j]!;
      if (!Number.isFinite(v)) throw new FheError('invalid_features', `row ${i + 1} has a non-finite feature`);
      block[base + 1 + j] = y * v;
    }
  });
  return out;
}

/** Weights [bias, w1..wd] replicated once per row block. */
export function packLogRegWeights(layout: LogRegLayout, weights: ArrayLike<number>): Float64Array {
  if (weights.length !== layout.features + 1) {
    throw new FheError('invalid_layout', `expected ${layout.features + 1} weights (bias first)`);
  }
  const out = new Float64Array(layout.slots);
  for (let r = 0; r < layout.rowsPerCiphertext; r++) {
    const base = r * layout.stride;
    for (let j = 0; j <= layout.features; j++) out[base + j] = weights[j]!;
  }
  return out;
}

/** Reads weights back from a decoded slot vector, averaging the row-block replicas (cuts CKKS noise by √rows). */
export function unpackLogRegWeights(layout: LogRegLayout, slots: ArrayLike<number>): Float64Array {
  const out = new Float64Array(layout.features + 1);
  for (let r = 0; r < layout.rowsPerCiphertext; r++) {
    const base = r * layout.stride;
    for (let j = 0; j <= layout.features; j++) out[j]! += slots[base + j]!;
  }
  for (let j = 0; j <= layout.features; j++) out[j]! /= layout.rowsPerCiphertext;
  return out;
}
