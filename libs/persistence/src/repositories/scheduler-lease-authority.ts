import type { DataSource, EntityManager } from 'typeorm';
import { SchedulerRepository } from './scheduler.repository.js';

/**
 * The scheduler's answer to the key broker's `LeaseAuthority` (structurally identical to @confide/keybroker's
 * interface, which persistence does not import): the lease at the job's current epoch, live by the database clock,
 * held by the asking node (its id or its operator's token subject), and the job not being cancelled: one query. Row
 * locks (inside the caller's transaction) are taken lease first, then job, the order every scheduler writer uses.
 */
export class SchedulerLeaseAuthority {
  private readonly repo: SchedulerRepository;
  constructor(ds: DataSource) {
    this.repo = new SchedulerRepository(ds);
  }

  async checkLease(
    check: { readonly tenantId: string; readonly jobId: string; readonly leaseEpoch: number; readonly nodeId: string },
    em: EntityManager,
  ): Promise<{ readonly ok: true; readonly region?: string } | { readonly ok: false; readonly reason: 'lease_unknown' | 'lease_epoch_stale' | 'lease_expired' | 'lease_holder_mismatch' | 'job_cancelled' }> {
    // Inside a transaction the rows are share-locked until it ends (the authoritative check); outside one (a
    // pre-check) a lock would end with the statement, so none is taken.
    const s = await this.repo.leaseForRelease(em, check.jobId, em.queryRunner?.isTransactionActive === true);
    if (!s) return { ok: false, reason: 'lease_unknown' };
    if (check.tenantId !== s.jobTenantId && check.tenantId !== s.node.operatorTenantId) return { ok: false, reason: 'lease_unknown' };
    if (s.cancelRequested) return { ok: false, reason: 'job_cancelled' };
    if (check.leaseEpoch !== s.currentEpoch) return { ok: false, reason: 'lease_epoch_stale' };
    if (!s.live) return { ok: false, reason: 'lease_expired' };
    if (check.nodeId !== s.node.id && check.nodeId !== s.node.operatorSubject) return { ok: false, reason: 'lease_holder_mismatch' };
    return { ok: true, region: s.node.region };
  }
}
