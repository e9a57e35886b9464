import { randomInt } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import { JobRepository, SchedulerRepository } from '@confide/persistence';
import { DataSource } from 'typeorm';
import { applyJobTransition } from '../common/job-transitions.js';

/**
 * Ends leases whose expiry passed by the database clock: the node's slot is freed, the node is charged a lost
 * lease, and the job goes back to the queue on its infrastructure budget (or ends `cancelled` if it was being
 * cancelled). Expired leases are claimed with `SKIP LOCKED`, so several sweepers never process one twice.
 */
@Injectable()
export class SweeperService {
  private readonly repo: SchedulerRepository;
  private readonly jobs: JobRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
  ) {
    this.repo = new SchedulerRepository(ds);
    this.jobs = new JobRepository(ds);
  }

  async sweep(limit = 50): Promise<number> {
    return this.ds.transaction(async (em) => {
      const expired = await this.repo.claimExpiredLeases(em, limit);
      for (const lease of expired) {
        await this.repo.endLease(em, lease.id, 'expired', 'lease_expired');
        await this.repo.recordOutcome(em, lease.nodeId, 'lost');
        const job = await this.jobs.lock(em, lease.jobId);
        if (!job || job.leaseEpoch !== lease.epoch || !job.leased) continue;
        await applyJobTransition(em, { jobs: this.jobs, audit: this.audit }, job, { type: 'lease_expired', epoch: lease.epoch, jitter: randomInt(0, 1_000_000) / 1_000_000 }, { type: 'system', id: 'scheduler-sweeper' }, {
          details: { node_id: lease.nodeId, lease_id: lease.id },
        });
      }
      return expired.length;
    });
  }

  pruneProofs(): Promise<number> {
    return this.repo.pruneProofs();
  }
}
