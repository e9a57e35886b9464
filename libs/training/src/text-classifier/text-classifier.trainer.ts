import { createHash } from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { decodeContainer, encodeContainer } from '../common/tensor-container.js';
import { SeededRandom } from '../common/seeded-random.js';
import { sha256Hex } from '../common/sha256.js';
import {
  DEFAULT_NGRAM_HASHING,
  assertHashingOptions,
  hashNgrams,
  type NgramHashingOptions,
  type SparseVector,
} from '../features/ngram-hasher.js';
import type { LabeledExample } from '../records/labeled-example.js';
import type { MetricListener, Trainer, TrainingResult, TrainingSummary } from '../trainer.js';
import { TrainingError } from '../training.error.js';
import { stratifiedSplit } from './stratified-split.js';
import { TEXT_CLASSIFIER_FORMAT, TextClassifierModel, argmax } from './text-classifier.model.js';

export type OptimizerName = 'sgd' | 'adam';

/** Everything that determines the trained weights (together with the data). Stored in every checkpoint. */
export interface TextClassifierConfig {
  readonly seed: number | string;
  readonly epochs: number;
  readonly learningRate: number;
  readonly batchSize: number;
  /** L2 penalty ½·l2·‖W‖² on the weights (not the bias), applied to the rows each step touches. */
  readonly l2: number;
  /**
   * `sgd`: plain mini-batch SGD. `adam`: Adam in the lazy form used for sparse features (TensorFlow's LazyAdam,
   * PyTorch's SparseAdam): a feature's weights and moments move only in steps whose batch contains it; the bias is
   * updated every step. Both keep a step's cost proportional to the batch's features, not to the dimension, and
   * apply the L2 term to the same touched rows (the usual sparse-update convention).
   */
  readonly optimizer: OptimizerName;
  /** Adam's β1, β2, ε. */
  readonly adam: { readonly beta1: number; readonly beta2: number; readonly epsilon: number };
  /** Fraction of each class held out for validation (0 for none). */
  readonly validationFraction: number;
  readonly hashing: NgramHashingOptions;
  /** Stop when validation loss has not improved by `minDelta` for `patience` epochs, keeping the best weights. */
  readonly earlyStopping: { readonly patience: number; readonly minDelta: number } | null;
}

export interface TextClassifierOptions extends Partial<Omit<TextClassifierConfig, 'hashing' | 'adam'>> {
  readonly hashing?: Partial<NgramHashingOptions>;
  readonly adam?: Partial<TextClassifierConfig['adam']>;
  /** Take a checkpoint every N steps (0 or absent: never). */
  readonly checkpointEverySteps?: number;
  /** Receives each checkpoint's bytes; training waits for it (the agent seals and uploads them). */
  readonly onCheckpoint?: (checkpoint: Uint8Array, step: number) => void | Promise<void>;
  /** Continue from a checkpoint of the same configuration and data; the result is identical to an unbroken run. */
  readonly resumeFrom?: Uint8Array;
  /** Let timers and the AbortSignal run every N steps (does not affect results). */
  readonly yieldEverySteps?: number;
}

const DEFAULTS: Omit<TextClassifierConfig, 'seed' | 'hashing'> = {
  epochs: 10,
  learningRate: 0.05,
  batchSize: 32,
  l2: 1e-6,
  optimizer: 'adam',
  adam: { beta1: 0.9, beta2: 0.999, epsilon: 1e-8 },
  validationFraction: 0.2,
  earlyStopping: null,
};

const MAX_TEXT = 1 << 20;
const MAX_LABEL = 256;
const MAX_CLASSES = 4096;

export function resolveTextClassifierConfig(o: TextClassifierOptions): TextClassifierConfig {
  const hashing: NgramHashingOptions = { ...DEFAULT_NGRAM_HASHING, ...o.hashing };
  assertHashingOptions(hashing);
  const config: TextClassifierConfig = {
    seed: o.seed ?? 0,
    epochs: o.epochs ?? DEFAULTS.epochs,
    learningRate: o.learningRate ?? DEFAULTS.learningRate,
    batchSize: o.batchSize ?? DEFAULTS.batchSize,
    l2: o.l2 ?? DEFAULTS.l2,
    optimizer: o.optimizer ?? DEFAULTS.optimizer,
    adam: { ...DEFAULTS.adam, ...o.adam },
    validationFraction: o.validationFraction ?? DEFAULTS.validationFraction,
    hashing: { ...hashing, wordNgrams: [...hashing.wordNgrams], charNgrams: [...hashing.charNgrams] },
    earlyStopping: o.earlyStopping ? { patience: o.earlyStopping.patience, minDelta: o.earlyStopping.minDelta ?? 0 } : null,
  };
  const bad = (field: string, what: string): never => {
    throw new TrainingError('invalid_options', `${field} ${what}`, field);
  };
  if (typeof config.seed === 'number' ? !Number.isSafeInteger(config.seed) : config.seed.length > 256) bad('seed', 'must be a safe integer or a short string');
  if (!Number.isInteger(config.epochs) || config.epochs < 1 || config.epochs > 10_000) bad('epochs', 'must be 1 to 10000');
  if (!(config.learningRate > 0 && config.learningRate <= 10)) bad('learningRate', 'must be in (0, 10]');
  if (!Number.isInteger(config.batchSize) || config.batchSize < 1 || config.batchSize > 65_536) bad('batchSize', 'must be 1 to 65536');
  if (!(config.l2 >= 0 && config.l2 < 1)) bad('l2', 'must be in [0, 1)');
  if (config.optimizer !== 'sgd' && config.optimizer !== 'adam') bad('optimizer', 'must be sgd or adam');
  const { beta1, beta2, epsilon } = config.adam;
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && epsilon > 0)) bad('adam', 'needs β in [0, 1) and ε > 0');
  if (!(config.validationFraction >= 0 && config.validationFraction < 1)) bad('validationFraction', 'must be in [0, 1)');
  if (config.earlyStopping) {
    const { patience, minDelta } = config.earlyStopping;
    if (!Number.isInteger(patience) || patience < 1) bad('earlyStopping', 'patience must be a positive integer');
    if (!(minDelta >= 0)) bad('earlyStopping', 'minDelta must be ≥ 0');
    if (config.validationFraction === 0) bad('earlyStopping', 'needs a validation fraction above 0');
  }
  const every = o.checkpointEverySteps ?? 0;
  if (!Number.isInteger(every) || every < 0) bad('checkpointEverySteps', 'must be a non-negative integer');
  return config;
}

/** Mutable training state; everything in it is written to a checkpoint exactly (float32 tensors, float64 in JSON). */
interface TrainState {
  step: number;
  epoch: number;
  examplesSeen: number;
  nextBatch: number;
  adamT: number;
  epochLossSum: number;
  epochCorrect: number;
  epochExamples: number;
  bestValidationLoss: number | null;
  badEpochs: number;
  stopped: boolean;
  readonly weights: Float32Array;
  readonly bias: Float32Array;
  readonly moments: { mW: Float32Array; vW: Float32Array; mB: Float32Array; vB: Float32Array } | null;
  best: { weights: Float32Array; bias: Float32Array } | null;
}

interface CheckpointMeta {
  readonly config: TextClassifierConfig;
  readonly labels: readonly string[];
  readonly dataDigest: string;
  readonly state: Omit<TrainState, 'weights' | 'bias' | 'moments' | 'best'>;
}

const CHECKPOINT_KIND = 'text-classifier-checkpoint';

/**
 * The `text-classifier` trainer: hashed word and character n-grams, softmax regression, mini-batch SGD or Adam,
 * stratified validation split, per-step and per-epoch metrics, checkpoints and resume. Deterministic: the same
 * seed, options and examples (in the same order) give bit-identical weights, whether or not the run was resumed.
 */
export class TextClassifierTrainer implements Trainer<AsyncIterable<LabeledExample> | Iterable<LabeledExample>, TextClassifierOptions> {
  readonly name = 'text-classifier';

  async train(
    input: AsyncIterable<LabeledExample> | Iterable<LabeledExample>,
    options: TextClassifierOptions,
    onMetric: MetricListener = () => undefined,
    signal?: AbortSignal,
  ): Promise<TrainingResult> {
    const config = resolveTextClassifierConfig(options);
    const { texts, labelOf, labels, dataDigest } = await collectExamples(input);
    const classes = labels.length;
    const dim = config.hashing.dimension;
    const vectors = texts.map((t) => hashNgrams(t, config.hashing));
    const split = stratifiedSplit(labelOf, classes, config.validationFraction, config.seed);
    if (split.train.length < 2) throw new TrainingError('not_enough_examples', 'at least two training examples are needed');

    const state: TrainState = options.resumeFrom
      ? restoreCheckpoint(options.resumeFrom, config, labels, dataDigest)
      : {
          step: 0,
          epoch: 0,
          examplesSeen: 0,
          nextBatch: 0,
          adamT: 0,
          epochLossSum: 0,
          epochCorrect: 0,
          epochExamples: 0,
          bestValidationLoss: null,
          badEpochs: 0,
          stopped: false,
          weights: new Float32Array(dim * classes),
          bias: new Float32Array(classes),
          moments:
            config.optimizer === 'adam'
              ? {
                  mW: new Float32Array(dim * classes),
                  vW: new Float32Array(dim * classes),
                  mB: new Float32Array(classes),
                  vB: new Float32Array(classes),
                }
              : null,
          best: null,
        };
    const model = new TextClassifierModel(labels, config.hashing, state.weights, state.bias);
    const step = new StepKernel(config, classes, dim);
    const every = options.checkpointEverySteps ?? 0;
    const yieldEvery = Math.max(1, options.yieldEverySteps ?? 8);
    const batches = Math.ceil(split.train.length / config.batchSize);
    const evaluate = (): { loss: number; accuracy: number } => evaluateOn(model, vectors, labelOf, split.validation);

    const takeCheckpoint = async (): Promise<void> => {
      const bytes = encodeCheckpoint(config, labels, dataDigest, state);
      await options.onCheckpoint?.(bytes, state.step);
      onMetric({ type: 'checkpoint', step: state.step, digest: sha256Hex(bytes), bytes: bytes.length });
    };

    while (!state.stopped && state.epoch < config.epochs) {
      const order = new SeededRandom(config.seed, `epoch:${state.epoch}`).shuffle([...split.train]);
      for (let b = state.nextBatch; b < batches; b++) {
        if (signal?.aborted) throw new TrainingError('training_cancelled', 'training was cancelled');
        const batch = order.slice(b * config.batchSize, (b + 1) * config.batchSize);
        const r = step.run(state, batch, vectors, labelOf);
        state.step++;
        state.nextBatch = b + 1;
        state.epochLossSum += r.lossSum;
        state.epochCorrect += r.correct;
        state.epochExamples += batch.length;
        state.examplesSeen += batch.length;
        onMetric({
          type: 'step',
          step: state.step,
          epoch: state.epoch,
          loss: r.lossSum / batch.length,
          accuracy: r.correct / batch.length,
          examples: batch.length,
          learningRate: config.learningRate,
        });
        if (every > 0 && state.step % every === 0) await takeCheckpoint();
        if (state.step % yieldEvery === 0) await yieldToEventLoop();
      }
      const trainLoss = state.epochLossSum / Math.max(1, state.epochExamples);
      const validation = split.validation.length > 0 ? evaluate() : undefined;
      onMetric({
        type: 'epoch',
        epoch: state.epoch,
        step: state.step,
        trainLoss,
        ...(validation && { validationLoss: validation.loss, validationAccuracy: validation.accuracy }),
      });
      if (config.earlyStopping && validation) {
        if (state.bestValidationLoss === null || validation.loss < state.bestValidationLoss - config.earlyStopping.minDelta) {
          state.bestValidationLoss = validation.loss;
          state.badEpochs = 0;
          state.best = { weights: state.weights.slice(), bias: state.bias.slice() };
        } else if (++state.badEpochs >= config.earlyStopping.patience) {
          state.stopped = true;
        }
      }
      state.epoch++;
      state.nextBatch = 0;
      state.epochLossSum = 0;
      state.epochCorrect = 0;
      state.epochExamples = 0;
    }

    const stoppedEarly = state.stopped;
    if (state.best) {
      state.weights.set(state.best.weights);
      state.bias.set(state.best.bias);
    }
    const bytes = model.encode();
    const summary: TrainingSummary = {
      steps: state.step,
      epochs: state.epoch,
      examplesSeen: state.examplesSeen,
      finalLoss: evaluateOn(model, vectors, labelOf, split.train).loss,
      ...(config.earlyStopping && { stoppedEarly }),
      ...(split.validation.length > 0 && { validation: validationSummary(model, vectors, labelOf, split, labels) }),
    };
    return { model: bytes, digest: sha256Hex(bytes), format: TEXT_CLASSIFIER_FORMAT, summary };
  }
}

/** One mini-batch: forward, softmax cross-entropy gradient (accumulated sparsely), then the optimiser update. */
class StepKernel {
  /** Gradient rows of the features this batch touched, packed in first-touch order (`rows[r]` is row r's feature). */
  private grad: Float64Array;
  private readonly gradB: Float64Array;
  private readonly slotOf: Int32Array;
  private readonly rows: number[] = [];
  private readonly z: Float64Array;

  constructor(
    private readonly config: TextClassifierConfig,
    private readonly classes: number,
    dim: number,
  ) {
    this.grad = new Float64Array(1024 * classes);
    this.gradB = new Float64Array(classes);
    this.slotOf = new Int32Array(dim).fill(-1);
    this.z = new Float64Array(classes);
  }

  run(state: TrainState, batch: readonly number[], vectors: readonly SparseVector[], labelOf: readonly number[]): { lossSum: number; correct: number } {
    const c = this.classes;
    const { weights: w, bias } = state;
    const z = this.z;
    let lossSum = 0;
    let correct = 0;
    const scale = 1 / batch.length;
    for (const i of batch) {
      const x = vectors[i]!;
      const y = labelOf[i]!;
      for (let k = 0; k < c; k++) z[k] = bias[k]!;
      for (let j = 0; j < x.indices.length; j++) {
        const row = x.indices[j]! * c;
        const v = x.values[j]!;
        for (let k = 0; k < c; k++) z[k]! += w[row + k]! * v;
      }
      if (argmax(z) === y) correct++;
      let max = -Infinity;
      for (let k = 0; k < c; k++) if (z[k]! > max) max = z[k]!;
      let sum = 0;
      for (let k = 0; k < c; k++) sum += Math.exp(z[k]! - max);
      const lse = max + Math.log(sum);
      lossSum += lse - z[y]!;
      for (let k = 0; k < c; k++) {
        const g = (Math.exp(z[k]! - lse) - (k === y ? 1 : 0)) * scale;
        this.gradB[k]! += g;
        z[k] = g;
      }
      for (let j = 0; j < x.indices.length; j++) {
        const feature = x.indices[j]!;
        let slot = this.slotOf[feature]!;
        if (slot < 0) {
          slot = this.rows.length;
          this.slotOf[feature] = slot;
          this.rows.push(feature);
          if ((slot + 1) * c > this.grad.length) {
            const bigger = new Float64Array(this.grad.length * 2);
            bigger.set(this.grad);
            this.grad = bigger;
          }
        }
        const v = x.values[j]!;
        const base = slot * c;
        for (let k = 0; k < c; k++) this.grad[base + k]! += z[k]! * v;
      }
    }
    if (state.moments) this.adam(state, state.moments);
    else this.sgd(state);
    for (const feature of this.rows) this.slotOf[feature] = -1;
    this.grad.fill(0, 0, this.rows.length * c);
    this.rows.length = 0;
    this.gradB.fill(0);
    return { lossSum, correct };
  }

  private sgd(state: TrainState): void {
    const { learningRate: lr, l2 } = this.config;
    const w = state.weights;
    const c = this.classes;
    this.rows.forEach((feature, r) => {
      for (let k = 0; k < c; k++) {
        const i = feature * c + k;
        w[i]! -= lr * (this.grad[r * c + k]! + l2 * w[i]!);
      }
    });
    for (let k = 0; k < c; k++) state.bias[k]! -= lr * this.gradB[k]!;
  }

  /** Adam (Kingma & Ba 2015) in its lazy, sparse form: see `TextClassifierConfig.optimizer`. */
  private adam(state: TrainState, m: NonNullable<TrainState['moments']>): void {
    const { learningRate: lr, l2 } = this.config;
    const { beta1, beta2, epsilon } = this.config.adam;
    const t = ++state.adamT;
    const stepSize = (lr * Math.sqrt(1 - Math.pow(beta2, t))) / (1 - Math.pow(beta1, t));
    const c = this.classes;
    const w = state.weights;
    const { mW, vW } = m;
    for (let r = 0; r < this.rows.length; r++) {
      const row = this.rows[r]! * c;
      for (let k = 0; k < c; k++) {
        const i = row + k;
        const g = this.grad[r * c + k]! + l2 * w[i]!;
        mW[i] = beta1 * mW[i]! + (1 - beta1) * g;
        vW[i] = beta2 * vW[i]! + (1 - beta2) * g * g;
        w[i]! -= (stepSize * mW[i]!) / (Math.sqrt(vW[i]!) + epsilon);
      }
    }
    for (let k = 0; k < c; k++) {
      const g = this.gradB[k]!;
      m.mB[k] = beta1 * m.mB[k]! + (1 - beta1) * g;
      m.vB[k] = beta2 * m.vB[k]! + (1 - beta2) * g * g;
      state.bias[k]! -= (stepSize * m.mB[k]!) / (Math.sqrt(m.vB[k]!) + epsilon);
    }
  }
}

function evaluateOn(
  model: TextClassifierModel,
  vectors: readonly SparseVector[],
  labelOf: readonly number[],
  indices: readonly number[],
): { loss: number; accuracy: number } {
  const z = new Float64Array(model.classes);
  let loss = 0;
  let correct = 0;
  for (const i of indices) {
    model.logits(vectors[i]!, z);
    const y = labelOf[i]!;
    if (argmax(z) === y) correct++;
    let max = -Infinity;
    for (const v of z) if (v > max) max = v;
    let sum = 0;
    for (const v of z) sum += Math.exp(v - max);
    loss += max + Math.log(sum) - z[y]!;
  }
  const n = Math.max(1, indices.length);
  return { loss: loss / n, accuracy: correct / n };
}

function validationSummary(
  model: TextClassifierModel,
  vectors: readonly SparseVector[],
  labelOf: readonly number[],
  split: { train: readonly number[]; validation: readonly number[] },
  labels: readonly string[],
): NonNullable<TrainingSummary['validation']> {
  const counts = new Array<number>(labels.length).fill(0);
  for (const i of split.train) counts[labelOf[i]!]!++;
  const majority = argmax(counts);
  const { loss, accuracy } = evaluateOn(model, vectors, labelOf, split.validation);
  const baseline = split.validation.filter((i) => labelOf[i] === majority).length / split.validation.length;
  return { examples: split.validation.length, loss, accuracy, majorityLabel: labels[majority]!, baselineAccuracy: baseline };
}

async function collectExamples(input: AsyncIterable<LabeledExample> | Iterable<LabeledExample>): Promise<{
  texts: string[];
  labelOf: number[];
  labels: string[];
  dataDigest: string;
}> {
  const texts: string[] = [];
  const rawLabels: string[] = [];
  const digest = createHash('sha256');
  let n = 0;
  for await (const example of input) {
    const { text, label } = (example ?? {}) as Partial<LabeledExample>;
    if (typeof text !== 'string' || text.length > MAX_TEXT) {
      throw new TrainingError('invalid_example', `example ${n} has no text or a text that is too long`, `example[${n}].text`);
    }
    if (typeof label !== 'string' || label.length === 0 || label.length > MAX_LABEL) {
      throw new TrainingError('invalid_example', `example ${n} has no label or a label that is too long`, `example[${n}].label`);
    }
    digest.update(`${text.length}:${text}${label.length}:${label}`);
    texts.push(text);
    rawLabels.push(label);
    n++;
  }
  const labels = [...new Set(rawLabels)].sort();
  if (labels.length < 2) throw new TrainingError('not_enough_examples', 'examples of at least two labels are needed');
  if (labels.length > MAX_CLASSES) throw new TrainingError('invalid_example', `more than ${MAX_CLASSES} distinct labels`);
  const index = new Map(labels.map((l, i) => [l, i]));
  return { texts, labelOf: rawLabels.map((l) => index.get(l)!), labels, dataDigest: digest.digest('hex') };
}

function encodeCheckpoint(config: TextClassifierConfig, labels: readonly string[], dataDigest: string, s: TrainState): Uint8Array {
  const meta: CheckpointMeta = {
    config,
    labels,
    dataDigest,
    state: {
      step: s.step,
      epoch: s.epoch,
      examplesSeen: s.examplesSeen,
      nextBatch: s.nextBatch,
      adamT: s.adamT,
      epochLossSum: s.epochLossSum,
      epochCorrect: s.epochCorrect,
      epochExamples: s.epochExamples,
      bestValidationLoss: s.bestValidationLoss,
      badEpochs: s.badEpochs,
      stopped: s.stopped,
    },
  };
  const tensors: [string, Float32Array][] = [
    ['weights', s.weights],
    ['bias', s.bias],
  ];
  if (s.moments) tensors.push(['mW', s.moments.mW], ['vW', s.moments.vW], ['mB', s.moments.mB], ['vB', s.moments.vB]);
  if (s.best) tensors.push(['bestWeights', s.best.weights], ['bestBias', s.best.bias]);
  return encodeContainer(CHECKPOINT_KIND, meta, tensors);
}

/** Reads a checkpoint, refusing one taken with other options or other data (its digest would not match). */
function restoreCheckpoint(bytes: Uint8Array, config: TextClassifierConfig, labels: readonly string[], dataDigest: string): TrainState {
  const c = decodeContainer(bytes, 'checkpoint_malformed');
  if (c.kind !== CHECKPOINT_KIND) throw new TrainingError('checkpoint_malformed', 'not a text-classifier checkpoint');
  const meta = c.meta as Partial<CheckpointMeta> | null;
  if (!meta || typeof meta.dataDigest !== 'string' || !meta.state || !meta.config) {
    throw new TrainingError('checkpoint_malformed', 'the checkpoint header is malformed');
  }
  if (meta.dataDigest !== dataDigest || JSON.stringify(meta.labels) !== JSON.stringify(labels)) {
    throw new TrainingError('checkpoint_mismatch', 'the checkpoint was taken on different data');
  }
  if (JSON.stringify(meta.config) !== JSON.stringify(config)) {
    throw new TrainingError('checkpoint_mismatch', 'the checkpoint was taken with different training options');
  }
  const t = (name: string, length: number): Float32Array => {
    const v = c.tensors.get(name);
    if (!v || v.length !== length) throw new TrainingError('checkpoint_malformed', 'a checkpoint tensor is missing or has the wrong shape');
    return v;
  };
  const size = config.hashing.dimension * labels.length;
  const st = meta.state;
  const ints = [st.step, st.epoch, st.examplesSeen, st.nextBatch, st.adamT, st.epochCorrect, st.epochExamples, st.badEpochs];
  if (!ints.every((v) => Number.isSafeInteger(v) && v >= 0) || typeof st.epochLossSum !== 'number' || typeof st.stopped !== 'boolean') {
    throw new TrainingError('checkpoint_malformed', 'the checkpoint state is malformed');
  }
  return {
    ...st,
    bestValidationLoss: typeof st.bestValidationLoss === 'number' ? st.bestValidationLoss : null,
    weights: t('weights', size),
    bias: t('bias', labels.length),
    moments:
      config.optimizer === 'adam'
        ? { mW: t('mW', size), vW: t('vW', size), mB: t('mB', labels.length), vB: t('vB', labels.length) }
        : null,
    best: c.tensors.has('bestWeights') ? { weights: t('bestWeights', size), bias: t('bestBias', labels.length) } : null,
  };
}
