import { decodeContainer, encodeContainer } from '../common/tensor-container.js';
import { sha256Hex } from '../common/sha256.js';
import { assertHashingOptions, hashNgrams, type NgramHashingOptions, type SparseVector } from '../features/ngram-hasher.js';
import { TrainingError } from '../training.error.js';

export const TEXT_CLASSIFIER_FORMAT = 'application/vnd.confide.text-classifier';
const MODEL_KIND = 'text-classifier';

export interface Prediction {
  readonly label: string;
  /** Softmax probability of `label`. */
  readonly confidence: number;
  /** Probability per label, in the model's label order. */
  readonly probabilities: Readonly<Record<string, number>>;
}

/** Anything that can label a text; what the canary check needs from a returned model. */
export interface TextPredictor {
  predict(text: string): Pick<Prediction, 'label'>;
}

interface ModelMeta {
  readonly labels: readonly string[];
  readonly hashing: NgramHashingOptions;
}

/**
 * Softmax regression over hashed n-gram features. Weights are feature-major (`weights[feature * classes + class]`)
 * so that one sparse feature touches one contiguous row; bias is per class.
 */
export class TextClassifierModel implements TextPredictor {
  constructor(
    readonly labels: readonly string[],
    readonly hashing: NgramHashingOptions,
    readonly weights: Float32Array,
    readonly bias: Float32Array,
  ) {
    assertHashingOptions(hashing);
    if (labels.length < 2 || new Set(labels).size !== labels.length) {
      throw new TrainingError('model_malformed', 'a model needs at least two distinct labels');
    }
    if (weights.length !== hashing.dimension * labels.length || bias.length !== labels.length) {
      throw new TrainingError('model_malformed', 'the weight shapes do not match the labels and feature dimension');
    }
  }

  get classes(): number {
    return this.labels.length;
  }

  features(text: string): SparseVector {
    return hashNgrams(text, this.hashing);
  }

  /** Writes the logits for `x` into `out` (float64). */
  logits(x: SparseVector, out: Float64Array): Float64Array {
    const c = this.labels.length;
    for (let k = 0; k < c; k++) out[k] = this.bias[k]!;
    for (let j = 0; j < x.indices.length; j++) {
      const row = x.indices[j]! * c;
      const v = x.values[j]!;
      for (let k = 0; k < c; k++) out[k]! += this.weights[row + k]! * v;
    }
    return out;
  }

  predict(text: string): Prediction {
    const logits = this.logits(this.features(text), new Float64Array(this.classes));
    const p = softmaxInPlace(logits);
    const best = argmax(p);
    const probabilities: Record<string, number> = {};
    this.labels.forEach((label, k) => (probabilities[label] = p[k]!));
    return { label: this.labels[best]!, confidence: p[best]!, probabilities };
  }

  /** The export format (see tensor-container.ts): header with labels and feature definition, weights, bias. */
  encode(): Uint8Array {
    const meta: ModelMeta = { labels: this.labels, hashing: this.hashing };
    return encodeContainer(MODEL_KIND, meta, [
      ['weights', this.weights],
      ['bias', this.bias],
    ]);
  }

  digest(): string {
    return sha256Hex(this.encode());
  }

  /** Decodes an exported model; with `expectedDigest`, refuses bytes whose SHA-256 differs. */
  static decode(bytes: Uint8Array, expectedDigest?: string): TextClassifierModel {
    if (expectedDigest !== undefined && sha256Hex(bytes) !== expectedDigest.toLowerCase()) {
      throw new TrainingError('model_malformed', 'the model bytes do not match the expected digest');
    }
    const c = decodeContainer(bytes, 'model_malformed');
    if (c.kind !== MODEL_KIND) throw new TrainingError('model_malformed', 'not a text-classifier model');
    const meta = parseModelMeta(c.meta);
    const weights = c.tensors.get('weights');
    const bias = c.tensors.get('bias');
    if (!weights || !bias || c.tensors.size !== 2) throw new TrainingError('model_malformed', 'missing model tensors');
    return new TextClassifierModel(meta.labels, meta.hashing, weights, bias);
  }
}

export function parseModelMeta(raw: unknown): ModelMeta {
  const m = raw as Partial<ModelMeta> | null;
  const h = m?.hashing as Partial<NgramHashingOptions> | undefined;
  if (
    !m ||
    !Array.isArray(m.labels) ||
    !m.labels.every((l) => typeof l === 'string') ||
    !h ||
    typeof h.dimension !== 'number' ||
    typeof h.hashSeed !== 'number' ||
    !Array.isArray(h.wordNgrams) ||
    !Array.isArray(h.charNgrams)
  ) {
    throw new TrainingError('model_malformed', 'the model header is malformed');
  }
  const hashing: NgramHashingOptions = {
    dimension: h.dimension,
    wordNgrams: h.wordNgrams as number[],
    charNgrams: h.charNgrams as number[],
    hashSeed: h.hashSeed,
  };
  try {
    assertHashingOptions(hashing);
  } catch {
    throw new TrainingError('model_malformed', 'the model header is malformed');
  }
  return { labels: m.labels as string[], hashing };
}

/** Numerically stable softmax, in place; returns its argument. */
export function softmaxInPlace(z: Float64Array): Float64Array {
  let max = -Infinity;
  for (const v of z) if (v > max) max = v;
  let sum = 0;
  for (let k = 0; k < z.length; k++) {
    z[k] = Math.exp(z[k]! - max);
    sum += z[k]!;
  }
  for (let k = 0; k < z.length; k++) z[k]! /= sum;
  return z;
}

/** Index of the largest value; ties go to the lowest index so predictions never depend on anything else. */
export function argmax(z: ArrayLike<number>): number {
  let best = 0;
  for (let k = 1; k < z.length; k++) if (z[k]! > z[best]!) best = k;
  return best;
}
