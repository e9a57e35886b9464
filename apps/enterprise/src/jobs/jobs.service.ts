import { createHash, randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { auditActor, AuditLog } from '@confide/audit';
import type { CreateJob, Job, JobCheckpointList, JobEstimate, JobEventList, JobList, ListCheckpointsQuery, ListJobEventsQuery, ListJobsQuery } from '@confide/contracts';
import {
  canonicalJson,
  DEFAULT_JOB_LIMITS,
  initialJobState,
  JobError,
  nodeRejections,
  pendingReasonFrom,
  placementRank,
  requirementsFor,
  transitionJob,
  type JobEvent as DomainJobEvent,
  type Principal,
} from '@confide/domain';
import { DatasetRepository, JobRepository, OrganizationRepository, SchedulerRepository, type JobRecord, type NodeRecord } from '@confide/persistence';
import { DataSource, type EntityManager } from 'typeorm';
import { jobStateOf, toCheckpointDto, toEventDto, toJobDto } from './job.mapper.js';

const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
const IDEMPOTENCY_KEY = /^[A-Za-z0-9._:-]{8,255}$/;
/** The dry run and pending reasons look at this many nodes at most. */
const CANDIDATE_SCAN = 5000;


@Injectable()
export class JobsService {
  private readonly jobs: JobRepository;
  private readonly datasets: DatasetRepository;
  private readonly orgs: OrganizationRepository;
  private readonly scheduler: SchedulerRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {
    this.jobs = new JobRepository(ds);
    this.datasets = new DatasetRepository(ds);
    this.orgs = new OrganizationRepository(ds);
    this.scheduler = new SchedulerRepository(ds);
  }

  /**
   * Creates a job. With an Idempotency-Key the key row (primary key) decides: the first insert creates the job in
   * the same transaction; a concurrent or later duplicate finds the row and returns that job if the body matches.
   */
  async create(p: Principal, body: CreateJob, idempotencyKey: string | undefined): Promise<{ job: Job; replayed: boolean }> {
    if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) throw new JobError('idempotency_key_invalid', 'Idempotency-Key must be 8-255 characters of A-Z a-z 0-9 . _ : -', 'Idempotency-Key');
    const dataset = await this.datasets.findForTenant(p.tenantId, body.training_file);
    if (!dataset) throw new JobError('dataset_not_found', 'No such training file.', 'training_file');
    if (dataset.status !== 'ready') throw new JobError('dataset_not_ready', 'The training file is not ready.', 'training_file');
    if (dataset.protection !== body.privacy.mode) throw new JobError('privacy_mode_mismatch', `The training file is protected for ${dataset.protection}; privacy.mode must match.`, 'privacy.mode');
    if (body.validation_file && !(await this.datasets.findForTenant(p.tenantId, body.validation_file))) throw new JobError('dataset_not_found', 'No such validation file.', 'validation_file');
    // Residency: without explicit regions the job inherits the organisation's.
    const org = await this.orgs.findById(p.tenantId);
    const placement = { ...body.placement, ...(body.placement.regions === undefined && org && org.dataResidency.length ? { regions: [...org.dataResidency] } : {}) };
    const requestSha256 = createHash('sha256').update(canonicalJson(body as unknown as Parameters<typeof canonicalJson>[0]), 'utf8').digest('hex');

    const id = randomUUID();
    const outcome = await this.ds.transaction(async (em) => {
      if (idempotencyKey !== undefined) {
        const mine = await this.jobs.reserveIdempotencyKey(em, { tenantId: p.tenantId, key: idempotencyKey, requestSha256, jobId: id, ttlSeconds: IDEMPOTENCY_TTL_SECONDS });
        if (!mine) {
          const existing = await this.jobs.findIdempotencyKey(em, p.tenantId, idempotencyKey);
          if (!existing) throw new JobError('idempotency_key_conflict', 'The Idempotency-Key is in use by a request still in flight; retry.', 'Idempotency-Key');
          if (existing.requestSha256 !== requestSha256) throw new JobError('idempotency_key_conflict', 'The Idempotency-Key was used with a different request body.', 'Idempotency-Key');
          return { id: existing.jobId, replayed: true };
        }
      }
      const now = new Date();
      const row: JobRecord = {
        id,
        tenantId: p.tenantId,
        status: 'validating_files',
        phase: 'validating_files',
        trainer: body.trainer,
        model: body.model,
        trainingFile: body.training_file,
        validationFile: body.validation_file ?? null,
        seed: body.seed ?? null,
        suffix: body.suffix ?? null,
        hyperparameters: body.hyperparameters,
        metadata: body.metadata ?? null,
        privacy: body.privacy,
        placement,
        verification: body.verification,
        budget: body.budget,
        leaseEpoch: 0,
        leased: false,
        cancelRequested: false,
        infraFailures: 0,
        userFailures: 0,
        preemptions: 0,
        priority: 0,
        queuedAt: null,
        notBefore: null,
        eventSeq: 0,
        error: null,
        fineTunedModel: null,
        resultFiles: [],
        trainedTokens: null,
        createdBy: p.subject,
        createdAt: now,
        updatedAt: now,
        finishedAt: null,
      };
      await this.jobs.insert(em, row);
      await this.jobs.appendEvent(em, row, { level: 'info', type: 'lifecycle', message: `Created fine-tuning job ${id}`, data: { trainer: body.trainer, privacy_mode: body.privacy.mode } });
      await this.audit.append(em, {
        tenantId: p.tenantId,
        actor: auditActor(p),
        action: 'job.create',
        resource: { type: 'fine_tuning.job', id },
        outcome: 'success',
        details: { trainer: body.trainer, training_file: body.training_file, privacy_mode: body.privacy.mode, status: 'validating_files' },
      });
      // The dataset was validated when it was uploaded (ready = passed); the job records that step.
      await this.apply(em, p, row, { type: 'files_validated' });
      return { id, replayed: false };
    });
    return { job: await this.get(p, outcome.id), replayed: outcome.replayed };
  }

  async list(p: Principal, q: ListJobsQuery): Promise<JobList> {
    if (q.after && !(await this.jobs.exists(p.tenantId, q.after))) throw new JobError('invalid_cursor', 'Unknown cursor.', 'after');
    const rows = await this.jobs.listForTenant(p.tenantId, { limit: q.limit + 1, ...(q.after ? { after: q.after } : {}), ...(q.status ? { status: q.status } : {}), ...(q.phase ? { phase: q.phase } : {}), ...(q.trainer ? { trainer: q.trainer } : {}) });
    const page = rows.slice(0, q.limit);
    const nodes = page.some((j) => j.status === 'queued') ? await this.scheduler.allNodesRanked(CANDIDATE_SCAN) : [];
    const now = await this.scheduler.dbNow();
    const data = await Promise.all(page.map((j) => this.dto(j, nodes, now)));
    return { object: 'list', data, has_more: rows.length > q.limit, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null };
  }

  async get(p: Principal, id: string): Promise<Job> {
    const j = await this.mustFind(p, id);
    const nodes = j.status === 'queued' ? await this.scheduler.allNodesRanked(CANDIDATE_SCAN) : [];
    return this.dto(j, nodes, await this.scheduler.dbNow());
  }

  /**
   * Cancel is two-phase: a queued job is cancelled at once; a running one goes to phase `cancelling`, the node is
   * told on its next heartbeat, and the job is `cancelled` when the node confirms or its lease ends.
   */
  async cancel(p: Principal, id: string): Promise<Job> {
    await this.ds.transaction(async (em) => {
      const j = await this.jobs.lock(em, id, p.tenantId);
      if (!j) throw new JobError('job_not_found', 'No such job.', 'id');
      if (j.cancelRequested && !['succeeded', 'failed', 'cancelled'].includes(j.status)) return; // already cancelling: idempotent
      const t = transitionJob(jobStateOf(j), { type: 'cancel_requested' }, DEFAULT_JOB_LIMITS);
      if (!t.ok) {
        if (j.status === 'cancelled') return;
        throw new JobError('job_not_cancellable', `A ${j.status} job cannot be cancelled.`, 'id');
      }
      await this.apply(em, p, j, { type: 'cancel_requested' });
    });
    return this.get(p, id);
  }

  async events(p: Principal, id: string, q: ListJobEventsQuery): Promise<JobEventList> {
    await this.mustFind(p, id);
    const rows = await this.jobs.listEvents(p.tenantId, id, { limit: q.limit + 1, ...(q.after ? { before: Number(q.after) } : {}) });
    return { object: 'list', data: rows.slice(0, q.limit).map(toEventDto), has_more: rows.length > q.limit };
  }

  /** For the live stream: events after `seq`, oldest first, and whether the job has ended. */
  async eventsAfter(p: Principal, id: string, seq: number): Promise<{ events: ReturnType<typeof toEventDto>[]; terminal: boolean }> {
    const j = await this.mustFind(p, id);
    const rows = await this.jobs.eventsAfter(p.tenantId, id, seq, 200);
    return { events: rows.map(toEventDto), terminal: ['succeeded', 'failed', 'cancelled'].includes(j.status) && rows.length < 200 };
  }

  async checkpoints(p: Principal, id: string, q: ListCheckpointsQuery): Promise<JobCheckpointList> {
    const j = await this.mustFind(p, id);
    const rows = await this.jobs.listCheckpoints(p.tenantId, id, { limit: q.limit + 1, ...(q.after ? { after: q.after } : {}) });
    return { object: 'list', data: rows.slice(0, q.limit).map((c) => toCheckpointDto(c, j)), has_more: rows.length > q.limit };
  }

  /** Dry run (SkyPilot-style): every node considered, why the others were filtered, cost range, nothing written. */
  async estimate(p: Principal, body: CreateJob): Promise<JobEstimate> {
    const dataset = await this.datasets.findForTenant(p.tenantId, body.training_file);
    if (!dataset) throw new JobError('dataset_not_found', 'No such training file.', 'training_file');
    const org = await this.orgs.findById(p.tenantId);
    const placement = { ...body.placement, ...(body.placement.regions === undefined && org && org.dataResidency.length ? { regions: [...org.dataResidency] } : {}) };
    const req = requirementsFor(body.privacy, placement);
    const nodes = await this.scheduler.allNodesRanked(CANDIDATE_SCAN);
    const now = await this.scheduler.dbNow();
    const rejections = nodes.map((n) => nodeRejections(attributesOf(n, now), req));
    const filtered: Record<string, number> = {};
    for (const r of rejections) for (const x of r) filtered[x] = (filtered[x] ?? 0) + 1;
    const fitting = nodes.filter((_, i) => rejections[i]!.every((x) => x === 'busy'));
    // Duration: a rough throughput model (records per second per GPU) bounded by the job's own limit.
    const records = Math.max(1, dataset.validRecords);
    const epochs = body.hyperparameters.n_epochs === 'auto' ? 3 : body.hyperparameters.n_epochs;
    const seconds = Math.min(body.budget.max_duration_seconds, Math.max(60, Math.ceil((records * epochs) / (body.privacy.mode === 'fhe' ? 20 : 2000)) + 120));
    const prices = fitting.map((n) => n.hourlyPrice);
    const hours = seconds / 3600;
    const chosen = [...fitting].sort((a, b) => cmp(placementRank(a), placementRank(b)))[0];
    const cost = prices.length
      ? { min: round(Math.min(...prices) * hours), expected: round((chosen?.hourlyPrice ?? 0) * hours * 1.15), max: round(Math.max(...prices) * hours * 1.5), currency: 'USD' as const }
      : { min: 0, expected: 0, max: 0, currency: 'USD' as const };
    return {
      object: 'fine_tuning.job.estimate',
      feasible: fitting.length > 0,
      pending_reason: pendingReasonFrom(rejections),
      expected_duration_seconds: seconds,
      cost,
      candidates_considered: nodes.length,
      candidates: nodes.slice(0, 50).map((n, i) => ({
        node_id: n.id,
        provider: n.provider,
        gpu_model: n.gpuModel,
        gpu_count: n.gpuCount,
        gpu_memory_gb: n.gpuMemoryGb,
        tee_type: n.teeType,
        region: n.region,
        hourly_price: n.hourlyPrice,
        reliability: round(n.reliability),
        available: rejections[i]!.length === 0,
        chosen: n.id === chosen?.id,
        filtered_by: rejections[i]!,
      })),
      filtered,
    };
  }

  private async mustFind(p: Principal, id: string): Promise<JobRecord> {
    const j = await this.jobs.findForTenant(p.tenantId, id);
    if (!j) throw new JobError('job_not_found', 'No such job.', 'id');
    return j;
  }

  private async dto(j: JobRecord, nodes: NodeRecord[], now: Date): Promise<Job> {
    const leases = j.leased || (j.status === 'queued' && j.leaseEpoch > 0) ? await this.scheduler.leasesOfJob(j.id) : [];
    const lease = j.leased ? (leases.find((l) => l.epoch === j.leaseEpoch) ?? null) : null;
    let pendingReason: string | null = null;
    if (j.status === 'queued') {
      if (j.notBefore && j.notBefore > now && j.phase === 'recovering') pendingReason = 'retry_backoff';
      else {
        const req = requirementsFor(j.privacy as { mode: 'tee' | 'fhe' }, j.placement);
        // Placement never gives a job back to a node whose output for it failed verification (SchedulerRepository).
        const failed = new Set(leases.filter((l) => l.endReason === 'verification_failed').map((l) => l.nodeId));
        const rejections = nodes.map((n) => {
          const r = nodeRejections(attributesOf(n, now), req);
          return failed.has(n.id) ? [...r, 'failed_verification' as const] : r;
        });
        pendingReason = pendingReasonFrom(rejections) ?? 'awaiting_placement';
      }
    } else if (j.status === 'validating_files') pendingReason = 'validating_files';
    return toJobDto(j, { queuePosition: await this.jobs.queuePosition(j), pendingReason, lease });
  }

  /** Applies a domain transition with its event and audit entry, in the caller's transaction. */
  private async apply(em: EntityManager, p: Principal, j: JobRecord, e: DomainJobEvent): Promise<void> {
    const t = transitionJob(jobStateOf(j), e, DEFAULT_JOB_LIMITS);
    if (!t.ok) throw new JobError('job_not_cancellable', 'The job cannot make this change now.', 'id', t.reason);
    const terminal = ['succeeded', 'failed', 'cancelled'].includes(t.state.status);
    await this.jobs.applyTransition(em, j, { state: t.state, event: t.record, terminal, ...(t.requeueDelayMs !== undefined ? { requeueDelayMs: t.requeueDelayMs } : {}), ...(t.error ? { error: { ...t.error, param: null } } : {}) });
    await this.audit.append(em, {
      tenantId: j.tenantId,
      actor: auditActor(p),
      action: `job.${e.type}`,
      resource: { type: 'fine_tuning.job', id: j.id },
      outcome: 'success',
      details: { from_status: j.status, to_status: t.state.status, phase: t.state.phase, lease_epoch: t.state.leaseEpoch },
    });
  }
}

function attributesOf(n: NodeRecord, now: Date) {
  return {
    teeType: n.teeType,
    gpuModel: n.gpuModel,
    gpuMemoryGb: n.gpuMemoryGb,
    region: n.region,
    hourlyPrice: n.hourlyPrice,
    reliability: n.reliability,
    interruptible: n.interruptible,
    active: n.state === 'active',
    online: n.availableUntil !== null && n.availableUntil > now,
    freeSlots: n.maxConcurrentLeases - n.activeLeases,
  };
}

const round = (x: number): number => Math.round(x * 100) / 100;
const cmp = (a: [number, number], b: [number, number]): number => a[0] - b[0] || a[1] - b[1];
