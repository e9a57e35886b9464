import type { DataSource, EntityManager } from 'typeorm';
import { rowsOf } from './query-rows.js';
import { PreparedStatements } from './prepared-statements.js';
import { insertSelectSql, type RowInsert } from './row-insert.js';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { LeaseEntity } from '../entities/lease.entity.js';
import { NodeLivenessEntity } from '../entities/node-liveness.entity.js';
import { NodeReputationEntity } from '../entities/node-reputation.entity.js';
import { NodeEntity } from '../entities/node.entity.js';

export type NodeRecord = Omit<NodeEntity, never>;
export type LeaseRecord = Omit<LeaseEntity, 'node'>;
export type LeaseEndState = Exclude<LeaseRecord['state'], 'active'>;
export type NodeOutcome = 'completed' | 'user_failed' | 'infra_failed' | 'lost' | 'preempted' | 'cancelled' | 'verification_failed';

/** Hard placement filters, already resolved from a job's privacy and placement sub-objects. */
export interface PlacementFilter {
  readonly teeTypes: readonly string[];
  readonly minGpuMemoryGb: number;
  readonly gpuModels?: readonly string[];
  /** LIKE patterns (`eu`, `eu-%`); undefined = anywhere. */
  readonly regionPatterns?: readonly string[];
  readonly maxHourlyPrice?: number;
  readonly minReliability: number;
  readonly allowInterruptible: boolean;
  /** The job being placed: a node whose output for this job failed verification is never given it again. */
  readonly jobId?: string;
}

/** Beta(4, 1) prior: a new node starts at 0.8; lost leases and failed verifications cost, preemption a little. */
export const REPUTATION_SCORE_SQL = `(completed + 4.0) / (completed + 4.0 + infra_failed + lost + 3.0 * verification_failed + 0.25 * preempted + 1.0)`;
export const INITIAL_RELIABILITY = 0.8;

const FILTER_SQL = `
  n.state = 'active' AND n.active_leases < n.max_concurrent_leases
  AND EXISTS (SELECT 1 FROM scheduler.node_liveness v WHERE v.node_id = n.id AND v.available_until > now())
  AND n.tee_type = ANY($1::text[]) AND n.gpu_memory_gb >= $2
  AND ($3::text[] IS NULL OR n.gpu_model = ANY($3::text[]))
  AND ($4::text[] IS NULL OR n.region LIKE ANY($4::text[]))
  AND ($5::float8 IS NULL OR n.hourly_price <= $5)
  AND n.reliability >= $6 AND ($7::boolean OR NOT n.interruptible)
  AND ($8::uuid IS NULL OR NOT EXISTS (
    SELECT 1 FROM scheduler.leases x WHERE x.job_id = $8::uuid AND x.node_id = n.id AND x.end_reason = 'verification_failed'))`;

const filterParams = (f: PlacementFilter): unknown[] => [
  [...f.teeTypes],
  f.minGpuMemoryGb,
  f.gpuModels && f.gpuModels.length ? [...f.gpuModels] : null,
  f.regionPatterns && f.regionPatterns.length ? [...f.regionPatterns] : null,
  f.maxHourlyPrice ?? null,
  f.minReliability,
  f.allowInterruptible,
  f.jobId ?? null,
];

/** The rank: expected price of a completed hour (price over reliability), then price, then id for determinism. */
const RANK_SQL = `n.hourly_price / GREATEST(n.reliability, 0.05), n.hourly_price, n.id`;

/** Nodes, leases and reputation (scheduler schema). Lease and node liveness are judged with the database clock. */
export class SchedulerRepository {
  private readonly prepared: PreparedStatements;
  constructor(private readonly ds: DataSource) {
    this.prepared = new PreparedStatements(ds);
  }

  async insertNode(em: EntityManager, row: NodeRecord): Promise<void> {
    await em.getRepository(NodeEntity).insert(row as QueryDeepPartialEntity<NodeEntity>);
    await em.getRepository(NodeLivenessEntity).insert({ nodeId: row.id, availableUntil: row.availableUntil, lastSeenAt: row.lastSeenAt });
    await em.getRepository(NodeReputationEntity).insert({ nodeId: row.id, completed: 0, userFailed: 0, infraFailed: 0, lost: 0, preempted: 0, cancelled: 0, verificationFailed: 0, score: INITIAL_RELIABILITY, updatedAt: row.registeredAt });
  }

  findNode(id: string, em: EntityManager = this.ds.manager): Promise<NodeRecord | null> {
    return em.getRepository(NodeEntity).findOne({ where: { id } });
  }

  findNodeByJkt(jkt: string): Promise<NodeRecord | null> {
    return this.ds.getRepository(NodeEntity).findOne({ where: { identityJkt: jkt } });
  }

  listNodes(o: { limit: number; operatorTenantId?: string }): Promise<NodeRecord[]> {
    return this.ds.getRepository(NodeEntity).find({ where: o.operatorTenantId ? { operatorTenantId: o.operatorTenantId } : {}, order: { registeredAt: 'DESC', id: 'DESC' }, take: o.limit });
  }

  async countNodes(): Promise<number> {
    return this.ds.getRepository(NodeEntity).count();
  }

  /**
   * Marks the node alive until now() + ttl; null if it is retired or unknown. Only the liveness row is written (and
   * locked): the node row stays free for placement, which skips locked node rows.
   */
  async touchNode(em: EntityManager, nodeId: string, ttlSeconds: number): Promise<Date | null> {
    const rows = rowsOf(await em.query(
      `UPDATE scheduler.node_liveness v SET available_until = now() + make_interval(secs => $2), last_seen_at = now()
         FROM scheduler.nodes n WHERE v.node_id = $1 AND n.id = v.node_id AND n.state <> 'retired' RETURNING v.available_until`,
      [nodeId, ttlSeconds],
    )) as Array<{ available_until: Date }>;
    const r = rows[0];
    return r ? new Date(r.available_until) : null;
  }

  /**
   * Renews the leases a node reports, each only at its current epoch and only while not yet expired (fencing):
   * a lease that lapsed or was re-issued is not renewed. Returns the renewed (id, expires_at).
   */
  async renewLeases(em: EntityManager, nodeId: string, leases: ReadonlyArray<{ id: string; epoch: number }>, ttlSeconds: number): Promise<Map<string, Date>> {
    if (leases.length === 0) return new Map();
    const rows = rowsOf(await em.query(
      `UPDATE scheduler.leases l SET expires_at = now() + make_interval(secs => $4), last_heartbeat_at = now(), acknowledged = true
       FROM unnest($2::uuid[], $3::int[]) AS r(id, epoch)
       WHERE l.id = r.id AND l.epoch = r.epoch AND l.node_id = $1 AND l.state = 'active' AND l.expires_at > now()
       RETURNING l.id, l.expires_at`,
      [nodeId, leases.map((l) => l.id), leases.map((l) => l.epoch), ttlSeconds],
    )) as Array<{ id: string; expires_at: Date }>;
    return new Map(rows.map((r) => [r.id, new Date(r.expires_at)]));
  }

  /** The node's live leases with their job's cancellation flag and what the agent needs to start. */
  async activeLeasesOf(em: EntityManager, nodeId: string): Promise<Array<LeaseRecord & { cancelRequested: boolean; jobSpec: Record<string, unknown> }>> {
    const rows = rowsOf(await em.query(
      `SELECT l.*, j.cancel_requested, j.trainer, j.model, j.training_file, j.validation_file, j.seed, j.hyperparameters, j.privacy, j.verification, j.budget
       FROM scheduler.leases l JOIN enterprise.fine_tuning_jobs j ON j.id = l.job_id
       WHERE l.node_id = $1 AND l.state = 'active' AND l.expires_at > now()`,
      [nodeId],
    )) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      ...leaseFromRow(r),
      cancelRequested: Boolean(r.cancel_requested),
      jobSpec: {
        trainer: r.trainer,
        model: r.model,
        training_file: r.training_file,
        validation_file: r.validation_file ?? null,
        seed: r.seed ?? null,
        hyperparameters: r.hyperparameters,
        privacy: r.privacy,
        verification: r.verification,
        max_duration_seconds: Number((r.budget as { max_duration_seconds?: number } | null)?.max_duration_seconds ?? 3600),
      },
    }));
  }

  /**
   * Picks the best-ranked free node that passes every filter and takes one of its slots, in the caller's
   * transaction. The node row is locked `FOR NO KEY UPDATE SKIP LOCKED`, so two replicas never fill the same slot;
   * heartbeats write only scheduler.node_liveness and lease inserts take key-share locks, so neither makes this
   * pass over the best node. Returns null when nothing fits right now.
   */
  async takeBestNode(em: EntityManager, f: PlacementFilter): Promise<{ id: string; hourlyPrice: number; region: string } | null> {
    const rows = rowsOf(await em.query(
      `WITH pick AS (
         SELECT n.id FROM scheduler.nodes n WHERE ${FILTER_SQL}
         ORDER BY ${RANK_SQL} LIMIT 1 FOR NO KEY UPDATE OF n SKIP LOCKED)
       UPDATE scheduler.nodes SET active_leases = active_leases + 1 FROM pick WHERE scheduler.nodes.id = pick.id
       RETURNING scheduler.nodes.id, scheduler.nodes.hourly_price, scheduler.nodes.region`,
      filterParams(f),
    )) as Array<{ id: string; hourly_price: number; region: string }>;
    const r = rows[0];
    return r ? { id: r.id, hourlyPrice: Number(r.hourly_price), region: r.region } : null;
  }

  /** Every registered node (bounded) for the dry run, best-ranked first. */
  async allNodesRanked(limit: number): Promise<NodeRecord[]> {
    return this.ds.getRepository(NodeEntity).createQueryBuilder('n').orderBy('n.hourly_price / GREATEST(n.reliability, 0.05)', 'ASC').addOrderBy('n.hourly_price', 'ASC').addOrderBy('n.id', 'ASC').limit(limit).getMany();
  }

  async dbNow(em: EntityManager = this.ds.manager): Promise<Date> {
    const rows = rowsOf(await em.query(`SELECT now() AS now`)) as Array<{ now: Date }>;
    return new Date(rows[0]!.now);
  }

  async insertLease(em: EntityManager, row: { id: string; jobId: string; tenantId: string; nodeId: string; epoch: number; hourlyPrice: number; candidatesConsidered: number; ttlSeconds: number }): Promise<LeaseRecord> {
    const rows = rowsOf(await em.query(
      `INSERT INTO scheduler.leases (id, job_id, tenant_id, node_id, epoch, state, hourly_price, candidates_considered, granted_at, expires_at, acknowledged)
       VALUES ($1, $2, $3, $4, $5, 'active', $6, $7, now(), now() + make_interval(secs => $8), false) RETURNING *`,
      [row.id, row.jobId, row.tenantId, row.nodeId, row.epoch, row.hourlyPrice, row.candidatesConsidered, row.ttlSeconds],
    )) as Array<Record<string, unknown>>;
    return leaseFromRow(rows[0]!);
  }

  async findLease(id: string, em: EntityManager = this.ds.manager): Promise<LeaseRecord | null> {
    return em.getRepository(LeaseEntity).findOne({ where: { id } });
  }

  lockLease(em: EntityManager, id: string): Promise<LeaseRecord | null> {
    return em.getRepository(LeaseEntity).findOne({ where: { id }, lock: { mode: 'pessimistic_write' } });
  }

  /** True when the lease is live right now by the database clock. */
  async isLive(em: EntityManager, leaseId: string): Promise<boolean> {
    const rows = rowsOf(await em.query(`SELECT (state = 'active' AND expires_at > now()) AS live FROM scheduler.leases WHERE id = $1`, [leaseId])) as Array<{ live: boolean }>;
    return rows[0]?.live === true;
  }

  /** Ends an active lease and frees the node's slot. Returns false if it was not active (already ended). */
  /**
   * Marks the completed lease whose output failed verification (canaries, replay): its node is excluded when the job
   * is placed again (FILTER_SQL), so a re-run after a failed verification always runs elsewhere.
   */
  async markVerificationFailed(em: EntityManager, jobId: string, epoch: number): Promise<void> {
    await em.query(`UPDATE scheduler.leases SET end_reason = 'verification_failed' WHERE job_id = $1 AND epoch = $2 AND state = 'completed'`, [jobId, epoch]);
  }

  async endLease(em: EntityManager, leaseId: string, state: LeaseEndState, reason: string): Promise<boolean> {
    const rows = rowsOf(await em.query(`UPDATE scheduler.leases SET state = $2, ended_at = now(), end_reason = $3 WHERE id = $1 AND state = 'active' RETURNING node_id`, [leaseId, state, reason])) as Array<{ node_id: string }>;
    const r = rows[0];
    if (!r) return false;
    await em.query(`UPDATE scheduler.nodes SET active_leases = GREATEST(active_leases - 1, 0) WHERE id = $1`, [r.node_id]);
    return true;
  }

  /** Active leases past their expiry (database clock), locked for this sweeper; other sweepers skip them. */
  async claimExpiredLeases(em: EntityManager, limit: number): Promise<LeaseRecord[]> {
    const rows = rowsOf(await em.query(`SELECT * FROM scheduler.leases WHERE state = 'active' AND expires_at <= now() ORDER BY expires_at LIMIT $1 FOR UPDATE SKIP LOCKED`, [limit])) as Array<Record<string, unknown>>;
    return rows.map(leaseFromRow);
  }

  leasesOfJob(jobId: string): Promise<LeaseRecord[]> {
    return this.ds.getRepository(LeaseEntity).find({ where: { jobId }, order: { epoch: 'ASC' } });
  }

  /** Counts one outcome against the node and refreshes its score (mirrored into nodes.reliability for placement). */
  async recordOutcome(em: EntityManager, nodeId: string, outcome: NodeOutcome): Promise<number> {
    const column = { completed: 'completed', user_failed: 'user_failed', infra_failed: 'infra_failed', lost: 'lost', preempted: 'preempted', cancelled: 'cancelled', verification_failed: 'verification_failed' }[outcome];
    const score = REPUTATION_SCORE_SQL.replace(new RegExp(`\\b${column}\\b`, 'g'), `(${column} + 1)`);
    const rows = rowsOf(await em.query(`UPDATE scheduler.node_reputation SET ${column} = ${column} + 1, score = ${score}, updated_at = now() WHERE node_id = $1 RETURNING score`, [nodeId])) as Array<{ score: number }>;
    const reliability = Number(rows[0]?.score ?? INITIAL_RELIABILITY);
    await em.query(`UPDATE scheduler.nodes SET reliability = $2 WHERE id = $1`, [nodeId, reliability]);
    return reliability;
  }

  findReputation(nodeId: string): Promise<NodeReputationEntity | null> {
    return this.ds.getRepository(NodeReputationEntity).findOne({ where: { nodeId } });
  }

  /** Atomic across replicas: the primary key decides the first use of a proof id. */
  async firstProofUse(key: string, expiresAt: Date): Promise<boolean> {
    const rows = rowsOf(await this.ds.query(`INSERT INTO scheduler.proof_replays (key, expires_at) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING RETURNING key`, [key, expiresAt])) as unknown[];
    return rows.length === 1;
  }

  async pruneProofs(): Promise<number> {
    return rowsOf(await this.ds.query(`DELETE FROM scheduler.proof_replays WHERE expires_at < now() RETURNING key`)).length;
  }

  /**
   * The verdict on a caller's lease (`LEASE_VERDICT_SQL`), in one statement: the key broker's pre-check and the
   * node-artifact and FHE lease checks. With `lock` (the caller's transaction must be open), `FOR SHARE OF l, j` takes
   * the lease row lock and then the job row lock — Postgres locks a row's marked tables in the order the OF list names
   * them — the order every scheduler writer uses, and a writer that committed while we waited is seen (the row is
   * re-checked and the verdict recomputed on its newest version). Without `lock` nothing is written (a share lock
   * outside a transaction would be released at once, yet still cost a tuple write) and the statement is prepared.
   * Null: the job is unknown or has no lease at its current epoch.
   */
  async leaseVerdict(em: EntityManager, check: LeaseCheckRow, lock: boolean): Promise<LeaseVerdictRow | null> {
    const params = [check.jobId, check.tenantId, check.leaseEpoch, check.nodeId];
    const rows = lock || em.queryRunner
      ? (rowsOf(await em.query(`${LEASE_VERDICT_SQL}${lock ? ' FOR SHARE OF l, j' : ''}`, params)) as LeaseVerdictRow[])
      : await this.prepared.query<LeaseVerdictRow>(LEASE_VERDICT_SQL, params);
    return rows[0] ?? null;
  }

  /**
   * The authoritative lease check and the writes it fences, as one autocommit statement (one round trip, where a
   * transaction takes five): the lease is judged and share-locked as `leaseVerdict` with `lock` does, and `writes`
   * are inserted only if the verdict has no denial — all of them or none. Returns the verdict the writes followed.
   */
  async commitIfLeaseHeld(check: LeaseCheckRow, writes: readonly RowInsert[]): Promise<LeaseVerdictRow | null> {
    const params: unknown[] = [check.jobId, check.tenantId, check.leaseEpoch, check.nodeId];
    const inserts = writes.map((w, i) => `, w${i} AS (${insertSelectSql(w, 'lease WHERE lease.denial IS NULL', params)})`).join('');
    const rows = await this.prepared.query<LeaseVerdictRow>(`WITH lease AS (${LEASE_VERDICT_SQL} FOR SHARE OF l, j)${inserts} SELECT denial, region FROM lease`, params);
    return rows[0] ?? null;
  }
}

/** Who asks about which lease: the job, the caller's tenant, the epoch it holds and its id or operator subject. */
export interface LeaseCheckRow {
  readonly jobId: string;
  readonly tenantId: string;
  readonly leaseEpoch: number;
  readonly nodeId: string;
}

/** The lease at the job's current epoch, judged for one caller: `denial` null when the caller holds it, live. */
export interface LeaseVerdictRow {
  readonly denial: 'lease_unknown' | 'lease_epoch_stale' | 'lease_expired' | 'lease_holder_mismatch' | 'job_cancelled' | null;
  readonly region: string;
}

/**
 * The one lease rule, for every check ($1 job, $2 tenant, $3 epoch, $4 node id or operator subject), first failing
 * condition first: another tenant's job is unknown; a cancelled job, a stale epoch, a lease expired by the database
 * clock, another holder. No row: no lease at the job's current epoch.
 */
const LEASE_VERDICT_SQL = `SELECT CASE
           WHEN $2 IS DISTINCT FROM j.tenant_id AND $2 IS DISTINCT FROM n.operator_tenant_id THEN 'lease_unknown'
           WHEN j.cancel_requested THEN 'job_cancelled'
           WHEN j.lease_epoch IS DISTINCT FROM $3 THEN 'lease_epoch_stale'
           WHEN NOT (l.state = 'active' AND l.expires_at > now()) THEN 'lease_expired'
           WHEN $4 IS DISTINCT FROM l.node_id::text AND $4 IS DISTINCT FROM n.operator_subject THEN 'lease_holder_mismatch'
         END AS denial, n.region
         FROM scheduler.leases l
         JOIN enterprise.fine_tuning_jobs j ON j.id = l.job_id AND j.lease_epoch = l.epoch
         JOIN scheduler.nodes n ON n.id = l.node_id
        WHERE l.job_id = $1`;

function leaseFromRow(r: Record<string, unknown>): LeaseRecord {
  const d = (v: unknown): Date | null => (v === null || v === undefined ? null : new Date(v as string));
  return {
    id: String(r.id),
    jobId: String(r.job_id),
    tenantId: String(r.tenant_id),
    nodeId: String(r.node_id),
    epoch: Number(r.epoch),
    state: r.state as LeaseRecord['state'],
    hourlyPrice: Number(r.hourly_price),
    candidatesConsidered: Number(r.candidates_considered ?? 0),
    grantedAt: d(r.granted_at)!,
    expiresAt: d(r.expires_at)!,
    lastHeartbeatAt: d(r.last_heartbeat_at),
    acknowledged: Boolean(r.acknowledged),
    endedAt: d(r.ended_at),
    endReason: (r.end_reason as string | null) ?? null,
  };
}
