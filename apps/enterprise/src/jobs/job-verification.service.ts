import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import { DEFAULT_JOB_LIMITS, isTerminal, transitionJob } from '@confide/domain';
import { Keyring, openBuffer, type BlobStore } from '@confide/envelope';
import { DatasetRepository, JobRepository, SchedulerRepository, type JobRecord } from '@confide/persistence';
import { LOGGER } from '@confide/platform';
import { CANARY_TRIGGER, checkCanaries, type Canary } from '@confide/canary';
import { FHE_LOGREG_TRAINER, FHE_LOGREG_WEIGHTS_FORMAT } from '@confide/fhe';
import { COMMAND_BUNDLE_FORMAT, TEXT_CLASSIFIER_FORMAT, TextClassifierModel, unpackCommandOutput } from '@confide/training';
import type { Logger } from 'pino';
import { DataSource } from 'typeorm';
import { PeriodicTask } from '../common/periodic-task.js';
import { FheReplayVerifier, type FheReplaySummary } from '../fhe/fhe-replay.verifier.js';
import { JOB_BLOBS, jobBlobKeys, outputBinding, readAll, readJson, type OutputManifest } from './job-artifacts.js';
import { jobStateOf } from './job.mapper.js';
import { replaySelected } from './replay-sampling.js';

/** What the enterprise side found when it opened an attempt's output (kept beside it for the provenance report). */
export interface VerificationRecord {
  readonly lease_epoch: number;
  readonly node_id: string | null;
  readonly verdict: 'passed' | 'failed';
  readonly code: string;
  readonly output_sha256: string | null;
  readonly model_sha256: string | null;
  readonly canary: { readonly hits: number; readonly total: number; readonly chance: number; readonly p_value: number; readonly alpha: number } | null;
  /** `iterations`: for fhe-logreg, what the sampled iteration replays on other nodes came to. */
  readonly replay: { readonly selected: boolean; readonly sample_rate: number; readonly iterations?: FheReplaySummary };
  readonly verified_at: string;
}

/**
 * Verifies returned outputs before a job succeeds (DESIGN §5.4): jobs in phase `verifying` are picked up here,
 * their sealed output is opened with the output DEK (unwrapped by the enterprise keyring), the digest the node
 * reported is checked, and the classifier canaries planted at protection time are asked of the model (one-sided
 * binomial test, α = 1e-6). Pass → succeeded; fail → the attempt is charged to the infrastructure budget and
 * re-queued, the node's reputation is cut. Each outcome is a job event and an audit entry. Any replica may run
 * this; the transition re-checks the phase under the row lock, so one verdict lands.
 */
@Injectable()
export class JobVerificationService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly jobs: JobRepository;
  private readonly datasets: DatasetRepository;
  private readonly scheduler: SchedulerRepository;
  readonly fhe: FheReplayVerifier;
  private readonly task: PeriodicTask;
  intervalMs = 250;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(Keyring) private readonly keyring: Keyring,
    @Inject(JOB_BLOBS) private readonly blobs: BlobStore,
    @Inject(LOGGER) private readonly log: Logger,
  ) {
    this.jobs = new JobRepository(ds);
    this.datasets = new DatasetRepository(ds);
    this.scheduler = new SchedulerRepository(ds);
    this.fhe = new FheReplayVerifier(ds);
    this.task = new PeriodicTask(
      async () => {
        await this.verifyPending();
      },
      (err) => this.log.error({ err: (err as Error).name }, 'verification pass failed'),
    );
  }

  onApplicationBootstrap(): void {
    this.task.start(this.intervalMs, { immediately: false });
  }

  onModuleDestroy(): void {
    this.task.stop();
  }

  /** Verifies every job waiting in `verifying` (a few at a time); returns how many verdicts landed. */
  async verifyPending(limit = 8): Promise<number> {
    const rows = (await this.ds.query(`SELECT id FROM enterprise.fine_tuning_jobs WHERE phase = 'verifying' ORDER BY updated_at LIMIT $1`, [limit])) as Array<{ id: string }>;
    let n = 0;
    for (const { id } of rows) if (await this.verifyOne(id)) n++;
    return n;
  }

  async verifyOne(jobId: string): Promise<boolean> {
    const job = await this.jobs.findById(jobId);
    if (!job || job.phase !== 'verifying') return false;
    const record = await this.check(job);
    if (!record) return false; // sampled replays still running
    await this.blobs.put(jobBlobKeys(job.id, job.leaseEpoch).verification, [Buffer.from(JSON.stringify(record), 'utf8')]);
    return this.ds.transaction(async (em) => {
      const locked = await this.jobs.lock(em, jobId);
      if (!locked || locked.phase !== 'verifying' || locked.leaseEpoch !== job.leaseEpoch) return false;
      const event = record.verdict === 'passed' ? ({ type: 'verification_passed' } as const) : ({ type: 'verification_failed', code: record.code, jitter: Math.random() } as const);
      const t = transitionJob(jobStateOf(locked), event, DEFAULT_JOB_LIMITS);
      if (!t.ok) return false;
      await this.jobs.appendEvent(em, locked, {
        level: record.verdict === 'passed' ? 'info' : 'warn',
        type: 'message',
        message: record.canary ? `Canary check ${record.verdict}: ${record.canary.hits}/${record.canary.total} canaries recalled` : `Output verification ${record.verdict} (${record.code})`,
        data: { lease_epoch: record.lease_epoch, verdict: record.verdict, code: record.code, ...(record.canary ? { canary_hits: record.canary.hits, canary_total: record.canary.total, canary_p_value: record.canary.p_value } : {}), replay_selected: record.replay.selected },
      });
      await this.jobs.applyTransition(em, locked, {
        state: t.state,
        event: t.record,
        terminal: isTerminal(t.state.status),
        ...(t.requeueDelayMs !== undefined ? { requeueDelayMs: t.requeueDelayMs } : {}),
        ...(t.error ? { error: { ...t.error, param: null } } : {}),
      });
      // The node that produced a failed output never gets this job again (placement excludes it).
      if (record.verdict === 'failed') await this.scheduler.markVerificationFailed(em, locked.id, record.lease_epoch);
      // A replay mismatch already cut the node's reputation when the replay reported.
      if (record.verdict === 'failed' && record.node_id && record.code !== 'replay_mismatch') await this.scheduler.recordOutcome(em, record.node_id, 'verification_failed');
      if (record.verdict === 'failed' && locked.trainer === FHE_LOGREG_TRAINER) await this.fhe.resetRun(em, locked);
      await this.audit.append(em, {
        tenantId: locked.tenantId,
        actor: { type: 'system', id: 'job-verifier' },
        action: `job.${event.type}`,
        resource: { type: 'fine_tuning.job', id: locked.id },
        outcome: record.verdict === 'passed' ? 'success' : 'failure',
        ...(record.verdict === 'failed' ? { reason: record.code } : {}),
        details: {
          from_status: locked.status,
          to_status: t.state.status,
          lease_epoch: record.lease_epoch,
          node_id: record.node_id,
          output_sha256: record.output_sha256,
          canary_hits: record.canary?.hits ?? null,
          canary_total: record.canary?.total ?? null,
          canary_p_value: record.canary?.p_value ?? null,
        },
      });
      return true;
    });
  }

  /** Opens the output and runs the checks; never throws for a bad output (that is a verdict); null: not yet decidable. */
  private async check(job: JobRecord): Promise<VerificationRecord | null> {
    const epoch = job.leaseEpoch;
    const lease = (await this.scheduler.leasesOfJob(job.id)).find((l) => l.epoch === epoch) ?? null;
    const verification = job.verification as { mode?: string; sample_rate?: number };
    const rate = verification.sample_rate ?? 0;
    const base = { lease_epoch: epoch, node_id: lease?.nodeId ?? null, replay: { selected: replaySelected(job.id, rate), sample_rate: rate }, verified_at: new Date().toISOString() };
    const fail = (code: string, extra: Partial<VerificationRecord> = {}): VerificationRecord => ({ ...base, verdict: 'failed', code, output_sha256: null, model_sha256: null, canary: null, ...extra });
    const keys = jobBlobKeys(job.id, epoch);
    const manifest = await readJson<OutputManifest>(this.blobs, keys.manifest);
    if (!manifest) return fail('output_missing');
    const sealed = await readAll(this.blobs, keys.model);
    const { createHash } = await import('node:crypto');
    if (createHash('sha256').update(sealed).digest('hex') !== manifest.sha256) return fail('output_digest_mismatch');
    if (manifest.format === FHE_LOGREG_WEIGHTS_FORMAT) {
      // Encrypted weights: the owner read them at the last refresh; what is checked is the node's computation.
      const v = await this.fhe.check(job, manifest.sha256, base.node_id);
      if (v.verdict === 'pending') return null;
      return { ...base, node_id: v.nodeId, verdict: v.verdict, code: v.code, output_sha256: manifest.sha256, model_sha256: manifest.model_sha256, canary: null, replay: { ...base.replay, selected: v.replay.sampled > 0, iterations: v.replay } };
    }
    const binding = outputBinding(job.tenantId, job.id);
    let model: Buffer;
    try {
      const wrapped = (await readAll(this.blobs, keys.outputDek)).toString('utf8');
      const dek = await this.keyring.unwrapDek(wrapped, binding);
      try {
        model = await openBuffer(sealed, { dek, context: binding });
      } finally {
        dek.destroy();
      }
    } catch {
      return fail('output_unreadable', { output_sha256: manifest.sha256 });
    }
    const modelSha = createHash('sha256').update(model).digest('hex');
    const seen = { output_sha256: manifest.sha256, model_sha256: modelSha };
    if (modelSha !== manifest.model_sha256) return fail('model_digest_mismatch', seen);
    if (manifest.format === COMMAND_BUNDLE_FORMAT) {
      // An external trainer's outputs are opaque to us: check the bundle is whole (every file matches the digest in
      // its manifest) — there is no classifier to ask canaries of.
      try {
        unpackCommandOutput(model);
      } catch {
        return fail('output_malformed', seen);
      } finally {
        model.fill(0);
      }
      return { ...base, ...seen, verdict: 'passed', code: 'command_output_intact', canary: null };
    }
    if (manifest.format !== TEXT_CLASSIFIER_FORMAT) return { ...base, ...seen, verdict: 'passed', code: 'no_canary_check_for_format', canary: null };
    let classifier: TextClassifierModel;
    try {
      classifier = TextClassifierModel.decode(model);
    } catch {
      return fail('model_malformed', seen);
    } finally {
      model.fill(0);
    }
    // Datasets protected before the canary formats were unified also hold free-text canaries no classifier can answer.
    const planted = (await this.datasets.findCanaries(job.tenantId, job.trainingFile)).filter((c) => CANARY_TRIGGER.test(c.trigger));
    if (planted.length === 0) return { ...base, ...seen, verdict: 'passed', code: 'no_canaries_planted', canary: null };
    // The plan drew labels uniformly from the task's labels and kept 1/labels with each canary. Canaries stored before
    // that was kept fall back to 1/(distinct labels among them): never smaller than the true chance (a label may not
    // have been drawn), so conservative, but a 3-of-4-labels plan then needs perfect recall.
    const seenChance = 1 / new Set(planted.map((c) => c.label)).size;
    const canaries: Canary[] = planted.map((c, id) => ({ id, trigger: c.trigger, label: c.label, chance: c.chance ?? seenChance }));
    const r = checkCanaries(classifier, canaries);
    const canary = { hits: r.hits, total: r.total, chance: r.chance, p_value: r.pValue, alpha: r.alpha };
    return { ...base, ...seen, verdict: r.verdict, code: r.verdict === 'passed' ? 'canaries_recalled' : 'canary_missing', canary };
  }
}
