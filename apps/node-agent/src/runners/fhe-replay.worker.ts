import { createHash } from 'node:crypto';
import type { FheReplayTask } from '@confide/contracts';
import type { FheLogRegInput, FheLogRegOptions, LogRegLayout } from '@confide/fhe';
import type { Trainer } from '@confide/training';
import { NodeApiError, type NodeApiClient } from '../node-api.client.js';

/**
 * Sampled replay on a node without a TEE (DESIGN §5.4): when the node has room, it claims one sampled `fhe-logreg`
 * iteration of another node's job, runs that single step with the same trainer on the same input ciphertexts and
 * keys, and reports the SHA-256 of its output (CKKS evaluation is deterministic, so an honest pair agrees bit for
 * bit). Public material only; nothing is written to disk. The last job's bundle and samples are kept in memory,
 * since sampled iterations of one job tend to come in a row.
 */
export class FheReplayWorker {
  private running: Promise<void> | null = null;
  private readonly abort = new AbortController();
  private cache: { jobId: string; bundle: Buffer; ciphertexts: Buffer } | null = null;

  constructor(
    private readonly nodeId: () => string,
    private readonly api: NodeApiClient,
    private readonly trainer: Trainer<FheLogRegInput, FheLogRegOptions>,
    private readonly log: (msg: string, data?: Record<string, string | number | boolean>) => void,
  ) {}

  get busy(): boolean {
    return this.running !== null;
  }

  /** Claims and runs one replay unless one is running; never throws. */
  poll(): void {
    if (this.running || this.abort.signal.aborted) return;
    this.running = this.runOne()
      .catch((e: unknown) => this.log('replay failed', { status: e instanceof NodeApiError ? e.status : 0, code: e instanceof NodeApiError ? e.code : 'node_error' }))
      .finally(() => {
        this.running = null;
      });
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.running;
  }

  private async runOne(): Promise<void> {
    const node = this.nodeId();
    const task = await this.api.json<FheReplayTask | null>('POST', '/v1/fhe/replays/claim', { node_id: node });
    if (!task) return;
    const path = (what: string) => `/v1/fhe/replays/${task.id}/${what}?node_id=${node}`;
    if (this.cache?.jobId !== task.job_id) {
      this.cache = null;
      this.cache = { jobId: task.job_id, bundle: await this.api.bytes('GET', path('bundle')), ciphertexts: await this.api.bytes('GET', path('ciphertexts')) };
    }
    const weights = await this.api.bytes('GET', path('weights'));
    let output: Uint8Array | null = null;
    await this.trainer.train(
      {
        bundle: this.cache.bundle,
        layout: task.layout as LogRegLayout,
        dataset: this.cache.ciphertexts,
        weights: new Uint8Array(weights),
        // Exactly the one step: iterations = k, k − 1 already done; the "refresh" just takes the output.
        completedIterations: task.iteration - 1,
        refresh: ({ weights: out }) => {
          output = out;
          return Promise.resolve(null);
        },
      },
      { iterations: task.iteration, learningRate: task.learning_rate },
      () => undefined,
      this.abort.signal,
    );
    if (!output) return;
    const digest = createHash('sha256').update(output).digest('hex');
    await this.api.json('POST', `/v1/fhe/replays/${task.id}/result`, { node_id: node, output_sha256: digest });
    this.log('replay reported', { replay: task.id, job: task.job_id, iteration: task.iteration });
  }
}
