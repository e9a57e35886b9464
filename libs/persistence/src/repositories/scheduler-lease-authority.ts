import type { DataSource, EntityManager } from 'typeorm';
import type { RowInsert } from './row-insert.js';
import { SchedulerRepository, type LeaseForRelease } from './scheduler.repository.js';

type LeaseCheck = { readonly tenantId: string; readonly jobId: string; readonly leaseEpoch: number; readonly nodeId: string };
type LeaseVerdict =
  | { readonly ok: true; readonly region?: string }
  | { readonly ok: false; readonly reason: 'lease_unknown' | 'lease_epoch_stale' | 'lease_expired' | 'lease_holder_mismatch' | 'job_cancelled' };

/** The verdict on a lease row, in code; `HELD_SQL` is the same rule in SQL, and the two must agree. */
function verdictOf(check: LeaseCheck, s: LeaseForRelease | null): LeaseVerdict {
  if (!s) return { ok: false, reason: 'lease_unknown' };
  if (check.tenantId !== s.jobTenantId && check.tenantId !== s.node.operatorTenantId) return { ok: false, reason: 'lease_unknown' };
  if (s.cancelRequested) return { ok: false, reason: 'job_cancelled' };
  if (check.leaseEpoch !== s.currentEpoch) return { ok: false, reason: 'lease_epoch_stale' };
  if (!s.live) return { ok: false, reason: 'lease_expired' };
  if (check.nodeId !== s.node.id && check.nodeId !== s.node.operatorSubject) return { ok: false, reason: 'lease_holder_mismatch' };
  return { ok: true, region: s.node.region };
}

/** `verdictOf(...).ok` over the columns of `LEASE_FOR_RELEASE_SQL` (`q`), with $1 tenant, $2 epoch, $3 node. */
const HELD_SQL = `(q.tenant_id = $1 OR q.operator_tenant_id = $1) AND NOT q.cancel_requested AND q.lease_epoch = $2 AND q.live
  AND (q.node_id::text = $3 OR q.operator_subject = $3)`;

/**
 * The scheduler's answer to the key broker's `LeaseAuthority` (structurally identical to @confide/keybroker's
 * interface, which persistence does not import): the lease at the job's current epoch, live by the database clock,
 * held by the asking node (its id or its operator's token subject), and the job not being cancelled: one query. Row
 * locks are taken lease first, then job, the order every scheduler writer uses.
 */
export class SchedulerLeaseAuthority {
  private readonly repo: SchedulerRepository;
  constructor(ds: DataSource) {
    this.repo = new SchedulerRepository(ds);
  }

  async checkLease(check: LeaseCheck, em: EntityManager): Promise<LeaseVerdict> {
    // Inside a transaction the rows are share-locked until it ends (the authoritative check); outside one (a
    // pre-check) a lock would end with the statement, so none is taken.
    return verdictOf(check, await this.repo.leaseForRelease(em, check.jobId, em.queryRunner?.isTransactionActive === true));
  }

  /**
   * The authoritative check fused with the writes it fences: one statement share-locks the lease and job rows and
   * inserts `writes` only if the lease holds, so they exist only if it held when they were written (a re-lease or
   * cancel that commits first wins; one that comes later waits for the statement). Returns the verdict; an `ok`
   * verdict means every row was written.
   */
  async commitIfHeld(check: LeaseCheck, writes: readonly RowInsert[]): Promise<LeaseVerdict> {
    const { lease, written } = await this.repo.commitIfLeaseHeld(check.jobId, { sql: HELD_SQL, params: [check.tenantId, check.leaseEpoch, check.nodeId] }, writes);
    const verdict = verdictOf(check, lease);
    // The SQL rule and the code rule are one rule written twice: a disagreement is a bug, never a release.
    if (written !== (verdict.ok ? writes.length : 0)) {
      throw new Error(`lease rule mismatch for job ${check.jobId}: verdict ${verdict.ok ? 'ok' : verdict.reason}, ${written} of ${writes.length} rows written`);
    }
    return verdict;
  }
}
