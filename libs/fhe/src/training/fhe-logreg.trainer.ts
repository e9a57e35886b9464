import { createHash } from 'node:crypto';
import type { MetricListener, Trainer, TrainingResult } from '@confide/training';
import { FheError } from '../fhe.error.js';
import type { LogRegLayout } from '../logreg/logreg.layout.js';
import type { ParameterOptions } from '../params/ckks-parameters.js';
import { FheEvaluatorSession } from '../session/fhe-evaluator.session.js';
import { decodePublicBundle, type FhePublicBundle } from '../session/public-bundle.js';
import { decodeCiphertextList } from './ciphertext-list.js';

export const FHE_LOGREG_TRAINER = 'fhe-logreg';
/** Media type of the trainer's output: the final encrypted weights, readable only by the data owner. */
export const FHE_LOGREG_WEIGHTS_FORMAT = 'application/vnd.confide.fhe-logreg-weights+seal';

/** What the node sends the owner after each encrypted step. */
export interface FheRefreshRequest {
  /** 1-based number of the step whose output this is. */
  readonly iteration: number;
  /** The last step: the owner decrypts and keeps the weights and answers nothing to continue with. */
  readonly final: boolean;
  /** The step's output: encrypted weights at the last level (they cannot be used for another step as they are). */
  readonly weights: Uint8Array;
}

/**
 * The owner's half of an iteration (SEAL has no bootstrapping): for a non-final step, fresh top-level encrypted
 * weights for the next one; for the final step, `null`. In a job this is `POST /v1/fhe/jobs/{id}/refresh`.
 */
export type FheRefresh = (request: FheRefreshRequest, signal?: AbortSignal) => Promise<Uint8Array | null>;

/** Everything the node holds for an `fhe-logreg` job: public material and ciphertexts only, no secret key. */
export interface FheLogRegInput {
  /** The public evaluation bundle (encoded form as served, or decoded). */
  readonly bundle: Uint8Array | FhePublicBundle;
  readonly layout: LogRegLayout;
  /** The encrypted samples (the encoded list as served, or the ciphertexts). */
  readonly dataset: Uint8Array | readonly Uint8Array[];
  /** Fresh encrypted weights to start from (zeros at the start of a job, the last refresh when resuming). */
  readonly weights: Uint8Array;
  /** Steps already done (resuming after a lease moved); the loop runs `iterations − completed` more. */
  readonly completedIterations?: number;
  readonly refresh: FheRefresh;
}

export interface FheLogRegOptions extends ParameterOptions {
  /** Total gradient steps of the job. */
  readonly iterations: number;
  /** α of w ← w + (α/n)·Σ g(zᵢ·w)·zᵢ. */
  readonly learningRate: number;
}

/**
 * The evaluator side of `fhe-logreg` (DESIGN §5.5): logistic regression by gradient descent on CKKS ciphertexts with
 * the degree-3 polynomial sigmoid. Each iteration is one encrypted step on the node followed by the owner's refresh
 * (decrypt + re-encrypt on the enterprise side), so the node only ever holds the public bundle, the encrypted
 * samples and encrypted weights. The result's `model` is the final encrypted weights; only the owner can read them.
 * Step metrics carry timings only: the node cannot compute a loss or an accuracy.
 */
export class FheLogRegTrainer implements Trainer<FheLogRegInput, FheLogRegOptions> {
  readonly name = FHE_LOGREG_TRAINER;

  async train(input: FheLogRegInput, options: FheLogRegOptions, onMetric: MetricListener, signal?: AbortSignal): Promise<TrainingResult> {
    const { iterations, learningRate } = options;
    const done = input.completedIterations ?? 0;
    if (!Number.isInteger(iterations) || iterations < 1 || iterations > 1000) {
      throw new FheError('invalid_parameters', 'iterations must be an integer from 1 to 1000');
    }
    if (!Number.isInteger(done) || done < 0 || done >= iterations) {
      throw new FheError('invalid_parameters', 'completed iterations must be below the total');
    }
    const bundle = input.bundle instanceof Uint8Array ? decodePublicBundle(input.bundle) : input.bundle;
    const wires = input.dataset instanceof Uint8Array ? decodeCiphertextList(input.dataset) : input.dataset;
    const parameterOptions = options.allowInsecure === undefined ? {} : { allowInsecure: options.allowInsecure };
    const node = await FheEvaluatorSession.create(bundle, parameterOptions);
    try {
      const dataset = node.loadLogRegDataset(input.layout, wires);
      try {
        let weights = input.weights;
        let output = weights;
        for (let iteration = done + 1; iteration <= iterations; iteration++) {
          if (signal?.aborted) throw new FheError('training_aborted', 'the job was cancelled');
          const started = performance.now();
          output = node.logRegStep(dataset, weights, { learningRate });
          const stepped = performance.now();
          const final = iteration === iterations;
          const fresh = await input.refresh({ iteration, final, weights: output }, signal);
          const refreshed = performance.now();
          onMetric({
            type: 'step',
            step: iteration,
            epoch: iteration,
            examples: input.layout.samples,
            learningRate,
            values: { node_seconds: (stepped - started) / 1000, refresh_seconds: (refreshed - stepped) / 1000 },
          });
          if (!final) {
            if (fresh === null) throw new FheError('refresh_refused', 'the owner returned no weights for the next step');
            weights = fresh;
          }
        }
        return {
          model: output,
          digest: createHash('sha256').update(output).digest('hex'),
          format: FHE_LOGREG_WEIGHTS_FORMAT,
          summary: { steps: iterations - done, epochs: iterations, examplesSeen: (iterations - done) * input.layout.samples },
        };
      } finally {
        dataset.dispose();
      }
    } finally {
      node.dispose();
    }
  }
}
