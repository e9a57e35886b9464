import { randomUUID } from 'node:crypto';
import type { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from './query-rows.js';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { FineTuningJobEntity } from '../entities/fine-tuning-job.entity.js';
import { JobCheckpointEntity } from '../entities/job-checkpoint.entity.js';
import { JobEventEntity } from '../entities/job-event.entity.js';
import { JobIdempotencyKeyEntity } from '../entities/job-idempotency-key.entity.js';

export type JobRecord = Omit<FineTuningJobEntity, never>;
export type JobEventRecord = Omit<JobEventEntity, 'job'>;
export type JobCheckpointRecord = Omit<JobCheckpointEntity, 'job'>;

export interface NewJobEvent {
  readonly level: 'info' | 'warn' | 'error';
  readonly type: string;
  readonly message: string;
  readonly data: Readonly<Record<string, unknown>>;
}

/** The fields a state transition may change on a job row. */
export interface JobStatePatch {
  readonly status: string;
  readonly phase: string;
  readonly leaseEpoch: number;
  readonly leased: boolean;
  readonly cancelRequested: boolean;
  readonly infraFailures: number;
  readonly userFailures: number;
  readonly preemptions: number;
}

export interface JobTransitionWrite {
  readonly state: JobStatePatch;
  readonly event: NewJobEvent;
  /** Back to the queue: placeable again after this many ms (database clock). */
  readonly requeueDelayMs?: number;
  readonly error?: { code: string; message: string; param: string | null };
  readonly terminal: boolean;
  readonly result?: { fineTunedModel?: string | null; trainedTokens?: number | null; resultFiles?: string[] };
}

/** Fine-tuning jobs, their events, checkpoints and idempotency keys; reads are scoped by tenant. */
export class JobRepository {
  constructor(private readonly ds: DataSource) {}

  /**
   * Reserves an Idempotency-Key. Returns true if this call inserted it; a concurrent inserter of the same key waits
   * on the primary key until the first transaction ends, then gets false (or true if that one rolled back).
   */
  async reserveIdempotencyKey(em: EntityManager, row: { tenantId: string; key: string; requestSha256: string; jobId: string; ttlSeconds: number }): Promise<boolean> {
    // An expired reservation is free again.
    await em.query(`DELETE FROM enterprise.job_idempotency_keys WHERE tenant_id = $1 AND key = $2 AND expires_at <= now()`, [row.tenantId, row.key]);
    const rows = rowsOf(await em.query(
      `INSERT INTO enterprise.job_idempotency_keys (tenant_id, key, request_sha256, job_id, created_at, expires_at)
       VALUES ($1, $2, $3, $4, now(), now() + make_interval(secs => $5))
       ON CONFLICT (tenant_id, key) DO NOTHING RETURNING job_id`,
      [row.tenantId, row.key, row.requestSha256, row.jobId, row.ttlSeconds],
    )) as unknown[];
    return rows.length === 1;
  }

  findIdempotencyKey(em: EntityManager, tenantId: string, key: string): Promise<JobIdempotencyKeyEntity | null> {
    return em.getRepository(JobIdempotencyKeyEntity).findOne({ where: { tenantId, key } });
  }

  async insert(em: EntityManager, row: JobRecord): Promise<void> {
    // jsonb columns typed as records defeat TypeORM's deep-partial type; the row is a complete entity.
    await em.getRepository(FineTuningJobEntity).insert(row as QueryDeepPartialEntity<FineTuningJobEntity>);
  }

  findForTenant(tenantId: string, id: string, em: EntityManager = this.ds.manager): Promise<JobRecord | null> {
    return em.getRepository(FineTuningJobEntity).findOne({ where: { id, tenantId } });
  }

  /** Locks the job row for a transition (every writer of a job's state and events holds this lock). */
  lock(em: EntityManager, id: string, tenantId?: string): Promise<JobRecord | null> {
    return em.getRepository(FineTuningJobEntity).findOne({ where: tenantId ? { id, tenantId } : { id }, lock: { mode: 'pessimistic_write' } });
  }

  async listForTenant(tenantId: string, o: { limit: number; after?: string; status?: string; phase?: string; trainer?: string }): Promise<JobRecord[]> {
    const q = this.ds.getRepository(FineTuningJobEntity).createQueryBuilder('j').where('j.tenant_id = :tenantId', { tenantId });
    if (o.after) {
      q.andWhere(`(j.created_at, j.id) < (SELECT c.created_at, c.id FROM enterprise.fine_tuning_jobs c WHERE c.id = :after AND c.tenant_id = :tenantId)`, { after: o.after });
    }
    if (o.status) q.andWhere('j.status = :status', { status: o.status });
    if (o.phase) q.andWhere('j.phase = :phase', { phase: o.phase });
    if (o.trainer) q.andWhere('j.trainer = :trainer', { trainer: o.trainer });
    return q.orderBy('j.created_at', 'DESC').addOrderBy('j.id', 'DESC').limit(o.limit).getMany();
  }

  async exists(tenantId: string, id: string): Promise<boolean> {
    return (await this.ds.getRepository(FineTuningJobEntity).count({ where: { tenantId, id } })) > 0;
  }

  /** 1-based position among placeable queued jobs (priority, then age); null when not queued. */
  async queuePosition(job: JobRecord): Promise<number | null> {
    if (job.status !== 'queued' || !job.queuedAt) return null;
    const rows = rowsOf(await this.ds.query(
      `SELECT count(*)::int AS n FROM enterprise.fine_tuning_jobs
       WHERE status = 'queued' AND (priority > $1 OR (priority = $1 AND (queued_at, id) < ($2, $3)))`,
      [job.priority, job.queuedAt, job.id],
    )) as Array<{ n: number }>;
    return (rows[0]?.n ?? 0) + 1;
  }

  /** Appends an event under the job row's lock (the caller holds it) and returns it; `seq` is gap-free per job. */
  async appendEvent(em: EntityManager, job: { id: string; tenantId: string }, e: NewJobEvent): Promise<JobEventRecord> {
    const rows = rowsOf(await em.query(`UPDATE enterprise.fine_tuning_jobs SET event_seq = event_seq + 1 WHERE id = $1 RETURNING event_seq, now() AS now`, [job.id])) as Array<{ event_seq: number; now: Date }>;
    const first = rows[0];
    if (!first) throw new Error('job row vanished while locked');
    const row: JobEventRecord = { id: randomUUID(), jobId: job.id, tenantId: job.tenantId, seq: first.event_seq, level: e.level, type: e.type, message: e.message, data: { ...e.data }, createdAt: new Date(first.now) };
    await em.getRepository(JobEventEntity).insert(row as QueryDeepPartialEntity<JobEventEntity>);
    return row;
  }

  /** Writes a state transition the domain allowed, with its event. The caller holds the row lock. */
  async applyTransition(em: EntityManager, job: JobRecord, t: JobTransitionWrite): Promise<{ job: JobRecord; event: JobEventRecord }> {
    const s = t.state;
    const sets = [
      'status = $2',
      'phase = $3',
      'lease_epoch = $4',
      'leased = $5',
      'cancel_requested = $6',
      'infra_failures = $7',
      'user_failures = $8',
      'preemptions = $9',
      'updated_at = now()',
    ];
    const params: unknown[] = [job.id, s.status, s.phase, s.leaseEpoch, s.leased, s.cancelRequested, s.infraFailures, s.userFailures, s.preemptions];
    if (t.requeueDelayMs !== undefined) {
      params.push(t.requeueDelayMs / 1000);
      sets.push(`not_before = now() + make_interval(secs => $${params.length})`, 'queued_at = now()');
    } else if (s.status === 'queued' && job.status !== 'queued') {
      sets.push('queued_at = now()', 'not_before = now()');
    }
    if (t.terminal) sets.push('finished_at = now()');
    if (t.error) {
      params.push(JSON.stringify(t.error));
      sets.push(`error = $${params.length}::jsonb`);
    }
    if (t.result) {
      if (t.result.fineTunedModel !== undefined) {
        params.push(t.result.fineTunedModel);
        sets.push(`fine_tuned_model = $${params.length}`);
      }
      if (t.result.trainedTokens !== undefined) {
        params.push(t.result.trainedTokens);
        sets.push(`trained_tokens = $${params.length}`);
      }
      if (t.result.resultFiles !== undefined) {
        params.push(JSON.stringify(t.result.resultFiles));
        sets.push(`result_files = $${params.length}::jsonb`);
      }
    }
    await em.query(`UPDATE enterprise.fine_tuning_jobs SET ${sets.join(', ')} WHERE id = $1`, params);
    const event = await this.appendEvent(em, job, t.event);
    const updated = await em.getRepository(FineTuningJobEntity).findOneOrFail({ where: { id: job.id } });
    return { job: updated, event };
  }

  /** Newest first, OpenAI style; `before` is a seq (events with a lower seq). */
  listEvents(tenantId: string, jobId: string, o: { limit: number; before?: number }): Promise<JobEventRecord[]> {
    const q = this.ds.getRepository(JobEventEntity).createQueryBuilder('e').where('e.tenant_id = :tenantId AND e.job_id = :jobId', { tenantId, jobId });
    if (o.before !== undefined) q.andWhere('e.seq < :before', { before: o.before });
    return q.orderBy('e.seq', 'DESC').limit(o.limit).getMany();
  }

  /** Oldest first after `afterSeq` (the live stream). */
  eventsAfter(tenantId: string, jobId: string, afterSeq: number, limit: number): Promise<JobEventRecord[]> {
    return this.ds
      .getRepository(JobEventEntity)
      .createQueryBuilder('e')
      .where('e.tenant_id = :tenantId AND e.job_id = :jobId AND e.seq > :afterSeq', { tenantId, jobId, afterSeq })
      .orderBy('e.seq', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Idempotent per (job, step): a retried upload of the same checkpoint is a no-op. Returns false if it existed. */
  async insertCheckpoint(em: EntityManager, row: JobCheckpointRecord): Promise<boolean> {
    const r = rowsOf(await em.query(
      `INSERT INTO enterprise.job_checkpoints (id, job_id, tenant_id, lease_epoch, step_number, metrics, artifact_sha256, created_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, now()) ON CONFLICT (job_id, step_number) DO NOTHING RETURNING id`,
      [row.id, row.jobId, row.tenantId, row.leaseEpoch, row.stepNumber, JSON.stringify(row.metrics), row.artifactSha256],
    )) as unknown[];
    return r.length === 1;
  }

  listCheckpoints(tenantId: string, jobId: string, o: { limit: number; after?: string }): Promise<JobCheckpointRecord[]> {
    const q = this.ds.getRepository(JobCheckpointEntity).createQueryBuilder('c').where('c.tenant_id = :tenantId AND c.job_id = :jobId', { tenantId, jobId });
    if (o.after) q.andWhere('c.step_number < (SELECT x.step_number FROM enterprise.job_checkpoints x WHERE x.id = :after AND x.job_id = :jobId)', { after: o.after });
    return q.orderBy('c.step_number', 'DESC').limit(o.limit).getMany();
  }

  /**
   * Claims up to `limit` placeable jobs for this transaction (`FOR UPDATE SKIP LOCKED`, single table): another
   * replica's claim skips them, so no job is placed twice.
   */
  claimQueued(em: EntityManager, limit: number): Promise<JobRecord[]> {
    return em
      .getRepository(FineTuningJobEntity)
      .createQueryBuilder('j')
      .where(`j.status = 'queued' AND (j.not_before IS NULL OR j.not_before <= now())`)
      .orderBy('j.priority', 'DESC')
      .addOrderBy('j.queued_at', 'ASC')
      .limit(limit)
      .setLock('pessimistic_write')
      .setOnLocked('skip_locked')
      .getMany();
  }

  /** Jobs in `verifying` etc. are out of scope here; this is for the node: what job is under this lease. */
  findById(id: string, em: EntityManager = this.ds.manager): Promise<JobRecord | null> {
    return em.getRepository(FineTuningJobEntity).findOne({ where: { id } });
  }
}
