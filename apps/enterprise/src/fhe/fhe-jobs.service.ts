import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import { Inject, Injectable, type OnModuleDestroy } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import type { FheJobDto, FheRefreshRequestDto, FheRefreshResponse, FheStartResponse } from '@confide/contracts';
import { JobError, SchedulerError, type Principal } from '@confide/domain';
import { openBuffer } from '@confide/envelope';
import { FHE_LOGREG_TRAINER, FHE_LOGREG_WEIGHTS_FORMAT, FheEnterpriseSession, logRegAccuracy, type CkksParameters, type LogRegLayout } from '@confide/fhe';
import { DatasetRepository, FheRepository, JobRepository, SchedulerLeaseAuthority, type FheDatasetRecord, type FheJobTarget } from '@confide/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { DATASET_STORAGE, type DatasetStorage } from '../datasets/dataset-storage.js';
import { jobBlobKeys, putHashed, type OutputManifest } from '../jobs/job-artifacts.js';
import { FheReplayService, weightsDigest } from './fhe-replay.service.js';
import { FHE_SETTINGS, type FheSettings } from './fhe-storage.js';

const DEFAULT_ITERATIONS = 5;
const DEFAULT_LEARNING_RATE = 4;
/** An encrypted weights vector is ≈260 KB at N=16384; anything far larger is not one. */
const MAX_FHE_OUTPUT_BYTES = 4 * 1024 * 1024;

/**
 * The enterprise's part in an `fhe-logreg` job (DESIGN §5.5). SEAL has no bootstrapping, so after every encrypted
 * step the node sends the weights here: they are decrypted with the dataset's secret key (unwrapped from the KEK for
 * the call, never sent anywhere), checked against the sigmoid's range and re-encrypted fresh. Every node call must
 * present the job's current lease epoch and come from the lease holder (SchedulerLeaseAuthority, database clock).
 * After the final iteration the weights are evaluated on the sealed plaintext holdout.
 */
@Injectable()
export class FheJobsService implements OnModuleDestroy {
  private readonly fhe: FheRepository;
  private readonly datasets: DatasetRepository;
  private readonly leases: SchedulerLeaseAuthority;
  private readonly jobs: JobRepository;
  /** Owner sessions by job: restoring keys costs ~100 ms at N=16384; a cache miss (another replica) only costs that. */
  private readonly sessions = new Map<string, Promise<FheEnterpriseSession>>();

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(DATASET_STORAGE) private readonly storage: DatasetStorage,
    @Inject(FHE_SETTINGS) private readonly settings: FheSettings,
    @Inject(FheReplayService) private readonly replays: FheReplayService,
  ) {
    this.jobs = new JobRepository(ds);
    this.fhe = new FheRepository(ds);
    this.datasets = new DatasetRepository(ds);
    this.leases = new SchedulerLeaseAuthority(ds);
  }

  async onModuleDestroy(): Promise<void> {
    for (const s of this.sessions.values()) (await s.catch(() => undefined))?.dispose();
    this.sessions.clear();
  }

  async start(p: Principal, jobId: string, leaseEpoch: number): Promise<FheStartResponse> {
    const { target, dataset } = await this.authorise(p, jobId, leaseEpoch, this.ds.manager);
    const hp = target.hyperparameters;
    const iterations = typeof hp.n_epochs === 'number' ? hp.n_epochs : DEFAULT_ITERATIONS;
    const learningRate = DEFAULT_LEARNING_RATE * (typeof hp.learning_rate_multiplier === 'number' ? hp.learning_rate_multiplier : 1);
    const layout = dataset.layout as unknown as LogRegLayout;
    await this.ds.transaction(async (em) => {
      const now = new Date();
      await this.fhe.ensureJob(em, {
        jobId, tenantId: target.tenantId, datasetId: target.trainingFile, iterations, learningRate, completedIterations: 0, leaseEpoch,
        weights: new Array<number>(layout.features + 1).fill(0), state: 'running', holdoutAccuracy: null, baselineAccuracy: null,
        replaySalt: randomBytes(32), outputSha256: null, createdAt: now, updatedAt: now,
      });
      await this.audit.append(em, { tenantId: target.tenantId, actor: { type: 'node', id: p.subject }, action: 'fhe.job.start', resource: { type: 'job', id: jobId }, outcome: 'success', details: { lease_epoch: leaseEpoch, dataset_id: target.trainingFile } });
    });
    let job = (await this.fhe.findJob(target.tenantId, jobId))!;
    if (job.state !== 'running' && job.leaseEpoch !== leaseEpoch) {
      // Finished under an earlier lease that never delivered (the job would be verifying or done otherwise): the
      // owner keeps no copy of that node's final ciphertext, so this lease computes the run again from zero.
      await this.ds.transaction((em) => this.replays.resetRun(em, jobId, layout.features + 1));
      job = (await this.fhe.findJob(target.tenantId, jobId))!;
    }
    if (job.state !== 'running') throw new SchedulerError('transition_refused', 'the FHE job has finished');
    const owner = await this.session(target, dataset);
    const weights = owner.encryptWeights(layout, job.weights);
    await this.replays.noteInput(target, job, leaseEpoch, job.completedIterations + 1, weights);
    return {
      object: 'fhe.job.start',
      job_id: jobId,
      parameters: dataset.parameters as FheStartResponse['parameters'],
      layout,
      iterations: job.iterations,
      completed_iterations: job.completedIterations,
      learning_rate: job.learningRate,
      weights: Buffer.from(weights).toString('base64'),
      bundle_bytes: dataset.bundleBytes,
      ciphertexts_bytes: dataset.ciphertextsBytes,
    };
  }

  /** The public bundle or the ciphertexts, streamed from the blob store to the lease holder. */
  async material(p: Principal, jobId: string, leaseEpoch: number, which: 'bundle' | 'ciphertexts'): Promise<{ stream: Readable; bytes: number }> {
    const { dataset } = await this.authorise(p, jobId, leaseEpoch, this.ds.manager);
    const key = which === 'bundle' ? dataset.bundleBlobKey : dataset.ciphertextsBlobKey;
    return { stream: await this.storage.blobs.get(key), bytes: which === 'bundle' ? dataset.bundleBytes : dataset.ciphertextsBytes };
  }

  async refresh(p: Principal, jobId: string, body: FheRefreshRequestDto): Promise<FheRefreshResponse> {
    const { target, dataset } = await this.authorise(p, jobId, body.lease_epoch, this.ds.manager);
    const job = await this.fhe.findJob(target.tenantId, jobId);
    if (!job) throw new SchedulerError('transition_refused', 'the FHE job was not started');
    if (job.state !== 'running' || body.iteration !== job.completedIterations + 1 || body.iteration > job.iterations) {
      throw new SchedulerError('transition_refused', 'this iteration is not the next one of the job', undefined, `expected ${job.completedIterations + 1}`);
    }
    const layout = dataset.layout as unknown as LogRegLayout;
    const owner = await this.session(target, dataset);
    const received = Buffer.from(body.weights, 'base64');
    const outputSha256 = weightsDigest(received);
    const { weights, ciphertext } = owner.refreshWeights(layout, received, { rowNormBound: dataset.rowNormBound });
    const final = body.iteration === job.iterations;
    let accuracy: { holdout: number; baseline: number } | null = null;
    if (final) accuracy = await this.evaluate(target, dataset, weights);
    await this.ds.transaction(async (em) => {
      await this.authorise(p, jobId, body.lease_epoch, em);
      const locked = await this.fhe.lockJob(em, jobId);
      if (!locked || locked.completedIterations !== body.iteration - 1 || locked.state !== 'running') {
        throw new SchedulerError('transition_refused', 'this iteration was already refreshed');
      }
      await this.fhe.updateJob(em, jobId, {
        completedIterations: body.iteration,
        leaseEpoch: body.lease_epoch,
        weights: Array.from(weights),
        ...(final ? { state: 'finished' as const, holdoutAccuracy: accuracy!.holdout, baselineAccuracy: accuracy!.baseline, outputSha256 } : {}),
      });
      await this.replays.noteOutput(em, target, locked, body.lease_epoch, body.iteration, outputSha256);
      await this.audit.append(em, {
        tenantId: target.tenantId,
        actor: { type: 'node', id: p.subject },
        action: final ? 'fhe.job.finish' : 'fhe.job.refresh',
        resource: { type: 'job', id: jobId },
        outcome: 'success',
        details: { iteration: body.iteration, lease_epoch: body.lease_epoch, ...(accuracy ? { holdout_accuracy: accuracy.holdout, baseline_accuracy: accuracy.baseline } : {}) },
      });
    });
    if (final) this.forget(jobId);
    else await this.replays.noteInput(target, job, body.lease_epoch, body.iteration + 1, ciphertext);
    return { object: 'fhe.refresh', iteration: body.iteration, done: final, ...(final ? {} : { weights: Buffer.from(ciphertext).toString('base64') }) };
  }

  /**
   * The node's output: the final encrypted weights (readable only with the dataset's secret key, so nothing to seal),
   * stored where every attempt's output goes, with a manifest; the job verifier checks it is the ciphertext the
   * last refresh carried and that the sampled replays matched.
   */
  async uploadOutput(p: Principal, jobId: string, leaseEpoch: number, body: Readable): Promise<OutputManifest> {
    const { target } = await this.authorise(p, jobId, leaseEpoch, this.ds.manager);
    const keys = jobBlobKeys(jobId, leaseEpoch);
    const { sha256, bytes } = await putHashed(this.storage.blobs, keys.model, body, MAX_FHE_OUTPUT_BYTES);
    const manifest: OutputManifest = { lease_epoch: leaseEpoch, sha256, bytes, key_id: `${target.trainingFile}#fhe_secret`, format: FHE_LOGREG_WEIGHTS_FORMAT, model_sha256: sha256, uploaded_by: p.subject };
    await this.storage.blobs.put(keys.manifest, [Buffer.from(JSON.stringify(manifest), 'utf8')]);
    await this.ds.transaction(async (em) => {
      const locked = await this.jobs.lock(em, jobId);
      if (locked) await this.jobs.appendEvent(em, locked, { level: 'info', type: 'message', message: 'Encrypted output received', data: { lease_epoch: leaseEpoch, output_sha256: sha256, bytes } });
      await this.audit.append(em, {
        tenantId: target.tenantId,
        actor: { type: 'node', id: p.subject },
        action: 'job.output_upload',
        resource: { type: 'fine_tuning.job', id: jobId },
        outcome: 'success',
        details: { lease_epoch: leaseEpoch, output_sha256: sha256, bytes, format: FHE_LOGREG_WEIGHTS_FORMAT },
      });
    });
    return manifest;
  }

  async get(p: Principal, jobId: string): Promise<FheJobDto> {
    const job = await this.fhe.findJob(p.tenantId, jobId);
    if (!job) throw new JobError('job_not_found', 'No FHE job with this id.', 'job_id');
    return {
      object: 'fhe.job',
      job_id: job.jobId,
      dataset_id: job.datasetId,
      state: job.state,
      iterations: job.iterations,
      completed_iterations: job.completedIterations,
      learning_rate: job.learningRate,
      holdout_accuracy: job.holdoutAccuracy,
      baseline_accuracy: job.baselineAccuracy,
      weights: job.state === 'finished' ? job.weights : null,
    };
  }

  /** The job is an fhe-logreg job on an FHE dataset, and the caller holds its lease at this epoch. */
  private async authorise(p: Principal, jobId: string, leaseEpoch: number, em: EntityManager): Promise<{ target: FheJobTarget; dataset: FheDatasetRecord }> {
    const target = await this.fhe.findJobTarget(jobId);
    if (!target || target.trainer !== FHE_LOGREG_TRAINER || target.privacy.mode !== 'fhe') throw new JobError('job_not_found', 'No FHE job with this id.', 'job_id');
    const verdict = await this.leases.checkLease({ tenantId: p.tenantId, jobId, leaseEpoch, nodeId: p.subject }, em);
    if (!verdict.ok) {
      // One answer for every refusal (as for key release); the reason stays in the log.
      throw new SchedulerError('lease_fenced', 'The lease is not current for this caller.', undefined, verdict.reason);
    }
    const dataset = await this.fhe.findDatasetWithSecrets(target.tenantId, target.trainingFile);
    if (!dataset) throw new JobError('dataset_not_found', 'The job has no FHE dataset.', 'training_file');
    return { target, dataset };
  }

  private session(target: FheJobTarget, dataset: FheDatasetRecord): Promise<FheEnterpriseSession> {
    let s = this.sessions.get(target.id);
    if (s === undefined) {
      s = this.restore(target, dataset);
      s.catch(() => this.sessions.delete(target.id));
      this.sessions.set(target.id, s);
      while (this.sessions.size > 8) this.forget(this.sessions.keys().next().value!);
    }
    return s;
  }

  private async restore(target: FheJobTarget, dataset: FheDatasetRecord): Promise<FheEnterpriseSession> {
    const binding = { tenantId: target.tenantId, datasetId: `${dataset.datasetId}#fhe_secret` };
    const wrapped = await this.datasets.findWrappedKey(target.tenantId, dataset.datasetId, 'fhe_secret');
    if (!wrapped) throw new JobError('dataset_not_found', 'The FHE dataset has no key.', 'training_file');
    const dek = await this.storage.keyring.unwrapDek(wrapped.wrapped, binding);
    let sk: Buffer | undefined;
    try {
      sk = await openBuffer(dataset.sealedSecretKey, { dek, context: binding });
      return await FheEnterpriseSession.restore(dataset.parameters as unknown as CkksParameters, sk, { allowInsecure: this.settings.allowInsecure });
    } finally {
      dek.destroy();
      sk?.fill(0);
    }
  }

  private forget(jobId: string): void {
    const s = this.sessions.get(jobId);
    this.sessions.delete(jobId);
    void s?.then((x) => x.dispose(), () => undefined);
  }

  private async evaluate(target: FheJobTarget, dataset: FheDatasetRecord, weights: Float64Array): Promise<{ holdout: number; baseline: number }> {
    const binding = { tenantId: target.tenantId, datasetId: `${dataset.datasetId}#fhe_holdout` };
    const wrapped = await this.datasets.findWrappedKey(target.tenantId, dataset.datasetId, 'fhe_holdout');
    if (!wrapped) throw new JobError('dataset_not_found', 'The FHE dataset has no holdout key.', 'training_file');
    const dek = await this.storage.keyring.unwrapDek(wrapped.wrapped, binding);
    const chunks: Buffer[] = [];
    for await (const c of await this.storage.blobs.get(dataset.holdoutBlobKey)) chunks.push(c as Buffer);
    let plain: Buffer;
    try {
      plain = await openBuffer(Buffer.concat(chunks), { dek, context: binding });
    } finally {
      dek.destroy();
    }
    const holdout = JSON.parse(plain.toString('utf8')) as { features: number[][]; labels: number[] };
    plain.fill(0);
    const positives = holdout.labels.filter((y) => y === 1).length / Math.max(1, holdout.labels.length);
    return { holdout: logRegAccuracy(weights, holdout.features, holdout.labels), baseline: Math.max(positives, 1 - positives) };
  }
}
