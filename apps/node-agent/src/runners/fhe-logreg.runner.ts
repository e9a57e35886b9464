import { createHash } from 'node:crypto';
import type { FheRefreshResponse, FheStartResponse } from '@confide/contracts';
import type { FheLogRegInput, FheLogRegOptions, FheRefresh, LogRegLayout } from '@confide/fhe';
import type { MetricListener, Trainer } from '@confide/training';
import type { LeaseContext } from './lease-context.js';

const round = (x: number): number => Math.round(x * 10_000) / 10_000;

/**
 * An `fhe-logreg` lease on a node without a TEE (DESIGN §5.5). The node only ever holds public material: the
 * evaluation bundle (parameters, relinearisation and the kernels' Galois keys — the format has no field for a
 * secret key), the encrypted samples and encrypted weights. Each iteration is one encrypted step here followed by
 * the owner's refresh (`POST /v1/fhe/jobs/{id}/refresh`, decrypt + re-encrypt on the enterprise side); everything
 * stays in memory. The final encrypted weights go back as the output, then the lease completes with its epoch.
 */
export async function runFheLogRegLease(ctx: LeaseContext, trainer: Trainer<FheLogRegInput, FheLogRegOptions>): Promise<void> {
  const jobId = ctx.lease.job_id;
  const epoch = ctx.lease.epoch;
  const fhe = `/v1/fhe/jobs/${jobId}`;

  ctx.setPhase('provisioning');
  const start = await ctx.api.json<FheStartResponse>('POST', `${fhe}/start`, { lease_epoch: epoch });
  const bundle = await ctx.api.bytes('GET', `${fhe}/bundle?lease_epoch=${epoch}`);
  ctx.check();
  const ciphertexts = await ctx.api.bytes('GET', `${fhe}/ciphertexts?lease_epoch=${epoch}`);
  ctx.check();
  ctx.event('info', 'message', 'Encrypted training data and public evaluation keys received', {
    bundle_bytes: bundle.length,
    ciphertexts_bytes: ciphertexts.length,
    iterations: start.iterations,
    completed_iterations: start.completed_iterations,
  });
  await ctx.flush();

  ctx.setPhase('training');
  const refresh: FheRefresh = async ({ iteration, weights }, signal) => {
    if (signal?.aborted) ctx.check();
    const r = await ctx.api.json<FheRefreshResponse>('POST', `${fhe}/refresh`, { lease_epoch: epoch, iteration, weights: Buffer.from(weights).toString('base64') });
    return r.weights === undefined ? null : new Uint8Array(Buffer.from(r.weights, 'base64'));
  };
  // Timings only: on ciphertexts the node cannot compute a loss or an accuracy (the owner reports the holdout's).
  const onMetric: MetricListener = (m) => {
    if (m.type !== 'step') return;
    const metrics = { node_seconds: round(m.values?.node_seconds ?? 0), refresh_seconds: round(m.values?.refresh_seconds ?? 0) };
    ctx.event('info', 'metrics', `iteration ${m.step}`, { step: m.step, ...metrics });
    void ctx.api.json('POST', `${ctx.base}/checkpoints`, { epoch, step_number: m.step, metrics }).catch((e: unknown) => ctx.onApiError(e));
    void ctx.flush();
  };
  const result = await trainer.train(
    {
      bundle,
      layout: start.layout as LogRegLayout,
      dataset: ciphertexts,
      weights: new Uint8Array(Buffer.from(start.weights, 'base64')),
      completedIterations: start.completed_iterations,
      refresh,
    },
    { iterations: start.iterations, learningRate: start.learning_rate },
    onMetric,
    ctx.signal,
  );
  ctx.check();
  await ctx.flush();

  ctx.setPhase('sealing_output');
  const outputSha = createHash('sha256').update(result.model).digest('hex');
  await ctx.api.bytes('PUT', `${fhe}/output?lease_epoch=${epoch}`, result.model);
  ctx.event('info', 'metrics', 'Encrypted training finished', { steps: result.summary.steps, iterations: result.summary.epochs, weights_sha256: outputSha });
  await ctx.flush();
  ctx.check();
  await ctx.api.json('POST', `${ctx.base}/complete`, { epoch, outcome: 'succeeded', result: { output_sha256: outputSha, trained_tokens: result.summary.examplesSeen, result_files: ['weights.seal'] } });
  ctx.log('lease completed', { lease: ctx.lease.id, epoch });
}
