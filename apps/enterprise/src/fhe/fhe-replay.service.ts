import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import type { FheReplayResult, FheReplayResultRequest, FheReplayTask } from '@confide/contracts';
import { JobError, SchedulerError, type Principal } from '@confide/domain';
import type { LogRegLayout } from '@confide/fhe';
import { FheReplayRepository, FheRepository, JobRepository, SchedulerRepository, type FheJobRecord, type JobRecord, type FheJobTarget, type FheReplayRecord } from '@confide/persistence';
import type { FastifyRequest } from 'fastify';
import { DataSource, type EntityManager } from 'typeorm';
import { DATASET_STORAGE, type DatasetStorage } from '../datasets/dataset-storage.js';
import { compareReplay, replayStepSelected } from '../jobs/replay-sampling.js';
import { FheNodeProof } from './fhe-node-proof.js';

/** How long a replay claim holds before another node may take it (database clock). */
export const REPLAY_CLAIM_SECONDS = 300;

/** Where the input weights of a sampled iteration are kept: exactly the ciphertext the original node was sent. */
export const replayInputKey = (jobId: string, epoch: number, iteration: number) => `jobs/${jobId}/e${epoch}/fhe-i${iteration}.weights`;

export const sampleRateOf = (target: FheJobTarget): number => {
  const rate = (target.verification as { sample_rate?: unknown }).sample_rate;
  return typeof rate === 'number' ? rate : 0;
};

/**
 * Sampled replay of `fhe-logreg` iterations on a second non-TEE node (DESIGN §5.4). CKKS evaluation is deterministic
 * given the input ciphertexts and the evaluation keys, so a sampled iteration is replayed on exactly the input
 * weights ciphertext the original node was sent, and the SHA-256 of the replay's output must equal that of the
 * output the original node refreshed with. The owner side records (FheJobsService calls `noteInput`/`noteOutput`);
 * other nodes claim, fetch public material only, and report a digest; the verdict is a job event and an audit
 * entry, and a mismatch cuts the original node's reputation at once (the job verifier then re-runs the job).
 */
@Injectable()
export class FheReplayService {
  private readonly fhe: FheRepository;
  private readonly replays: FheReplayRepository;
  private readonly jobs: JobRepository;
  private readonly scheduler: SchedulerRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(DATASET_STORAGE) private readonly storage: DatasetStorage,
    @Inject(FheNodeProof) private readonly nodes: FheNodeProof,
  ) {
    this.fhe = new FheRepository(ds);
    this.replays = new FheReplayRepository(ds);
    this.jobs = new JobRepository(ds);
    this.scheduler = new SchedulerRepository(ds);
  }

  private sampled(target: FheJobTarget, job: FheJobRecord, iteration: number): boolean {
    return replayStepSelected(job.replaySalt, target.id, iteration, sampleRateOf(target));
  }

  /** The owner just encrypted the weights iteration `iteration` starts from: kept if that iteration is sampled. */
  async noteInput(target: FheJobTarget, job: FheJobRecord, epoch: number, iteration: number, weights: Uint8Array): Promise<void> {
    if (iteration > job.iterations || !this.sampled(target, job, iteration)) return;
    await this.storage.blobs.put(replayInputKey(target.id, epoch, iteration), [Buffer.from(weights)]);
  }

  /** The node refreshed iteration `iteration` with `outputSha256`: a sampled one becomes a pending replay (inside the refresh's transaction). */
  async noteOutput(em: EntityManager, target: FheJobTarget, job: FheJobRecord, epoch: number, iteration: number, outputSha256: string): Promise<void> {
    if (!this.sampled(target, job, iteration)) return;
    const inputBlobKey = replayInputKey(target.id, epoch, iteration);
    // The input was sent under another epoch (the lease moved between the step and its refresh): nothing to replay.
    if (!(await this.storage.blobs.exists(inputBlobKey))) return;
    const lease = (await this.scheduler.leasesOfJob(target.id)).find((l) => l.epoch === epoch);
    if (!lease) return;
    await this.replays.insert(em, {
      id: randomUUID(), jobId: target.id, tenantId: target.tenantId, datasetId: target.trainingFile, leaseEpoch: epoch, iteration, learningRate: job.learningRate,
      originalNodeId: lease.nodeId, inputBlobKey, outputSha256, state: 'pending', replayNodeId: null, claimedUntil: null, replaySha256: null, createdAt: new Date(), resolvedAt: null,
    });
  }

  /** Starts the job's run over (new sampling key, zero weights); its replays become history. */
  resetRun(em: EntityManager, jobId: string, weightCount: number): Promise<void> {
    return this.replays.resetRun(em, jobId, randomBytes(32), new Array<number>(weightCount).fill(0));
  }

  /** One open replay for the calling node (never its own work), or null when there is none. */
  async claim(req: FastifyRequest, p: Principal, nodeId: string): Promise<FheReplayTask | null> {
    const node = await this.nodes.node(req, p, nodeId);
    const claimed = await this.ds.transaction((em) => this.replays.claim(em, node.id, REPLAY_CLAIM_SECONDS));
    if (!claimed) return null;
    const dataset = await this.fhe.findPublicDataset(claimed.tenantId, claimed.datasetId);
    if (!dataset) throw new JobError('dataset_not_found', 'The replay has no FHE dataset.', 'training_file');
    return {
      object: 'fhe.replay',
      id: claimed.id,
      job_id: claimed.jobId,
      iteration: claimed.iteration,
      learning_rate: claimed.learningRate,
      layout: dataset.layout as unknown as FheReplayTask['layout'],
      bundle_bytes: dataset.bundleBytes,
      ciphertexts_bytes: dataset.ciphertextsBytes,
      claimed_until: claimed.claimedUntil!.toISOString(),
    };
  }

  /** Public material for a claimed replay: the bundle, the encrypted samples, or the step's input weights. */
  async material(req: FastifyRequest, p: Principal, replayId: string, nodeId: string, which: 'bundle' | 'ciphertexts' | 'weights'): Promise<{ stream: Readable; bytes: number | null }> {
    const replay = await this.held(req, p, replayId, nodeId);
    if (which === 'weights') return { stream: await this.storage.blobs.get(replay.inputBlobKey), bytes: null };
    const dataset = await this.fhe.findPublicDataset(replay.tenantId, replay.datasetId);
    if (!dataset) throw new JobError('dataset_not_found', 'The replay has no FHE dataset.', 'training_file');
    const key = which === 'bundle' ? dataset.bundleBlobKey : dataset.ciphertextsBlobKey;
    return { stream: await this.storage.blobs.get(key), bytes: which === 'bundle' ? dataset.bundleBytes : dataset.ciphertextsBytes };
  }

  /** The replay node's output digest: compared with the original's; the verdict is an event and an audit entry. */
  async submit(req: FastifyRequest, p: Principal, replayId: string, body: FheReplayResultRequest): Promise<FheReplayResult> {
    const held = await this.held(req, p, replayId, body.node_id);
    await this.ds.transaction(async (em) => {
      // The job row first: verdicts of one job are serialised (one reputation cut per run, below).
      const job = await this.jobs.lock(em, held.jobId);
      const replay = await this.replays.lock(em, replayId);
      if (!replay || replay.state !== 'claimed' || replay.replayNodeId !== body.node_id) throw new SchedulerError('replay_not_claimed', 'This replay is not claimed by this node.');
      const verdict = compareReplay(replay.outputSha256, body.output_sha256);
      await this.replays.resolve(em, replay.id, verdict.verdict, body.output_sha256);
      // One cut per run and node, however many of its sampled steps disagree (the run is discarded as a whole).
      const alreadyCut = verdict.verdict === 'mismatch' && (await this.replays.ofJob(replay.jobId, em)).some((r) => r.id !== replay.id && r.state === 'mismatch' && r.originalNodeId === replay.originalNodeId);
      if (verdict.verdict === 'mismatch' && !alreadyCut) await this.scheduler.recordOutcome(em, replay.originalNodeId, 'verification_failed');
      await this.record(em, job, replay, verdict.verdict, body.output_sha256, p);
    });
    return { object: 'fhe.replay.result', id: replayId, recorded: true };
  }

  private async record(em: EntityManager, job: JobRecord | null, replay: FheReplayRecord, verdict: 'match' | 'mismatch', replaySha256: string, p: Principal): Promise<void> {
    const data = { iteration: replay.iteration, lease_epoch: replay.leaseEpoch, original_node_id: replay.originalNodeId, replay_node_id: replay.replayNodeId, verdict, output_sha256: replay.outputSha256, replay_sha256: replaySha256 };
    if (job) {
      await this.jobs.appendEvent(em, job, {
        level: verdict === 'match' ? 'info' : 'warn',
        type: 'message',
        message: verdict === 'match' ? `Replay of iteration ${replay.iteration} on another node matched` : `Replay of iteration ${replay.iteration} on another node did not match: the node's reputation is cut and the job will re-run`,
        data,
      });
    }
    await this.audit.append(em, {
      tenantId: replay.tenantId,
      actor: { type: 'node', id: p.subject },
      action: 'job.verification_replay',
      resource: { type: 'fine_tuning.job', id: replay.jobId },
      outcome: verdict === 'match' ? 'success' : 'failure',
      ...(verdict === 'mismatch' ? { reason: 'replay_mismatch' } : {}),
      details: data,
    });
  }

  private async held(req: FastifyRequest, p: Principal, replayId: string, nodeId: string): Promise<FheReplayRecord> {
    const node = await this.nodes.node(req, p, nodeId);
    const replay = await this.replays.findClaimed(replayId, node.id);
    if (!replay) throw new SchedulerError('replay_not_claimed', 'This replay is not claimed by this node (or the claim expired).');
    return replay;
  }
}

/** SHA-256 (hex) of an encrypted weights vector as the node sent it. */
export const weightsDigest = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
