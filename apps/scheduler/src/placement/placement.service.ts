import { randomUUID } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuditLog } from '@confide/audit';
import { regionPatterns, requirementsFor } from '@confide/domain';
import { JobRepository, SchedulerRepository, type JobRecord, type PlacementFilter } from '@confide/persistence';
import { DataSource } from 'typeorm';
import { applyJobTransition } from '../common/job-transitions.js';
import { SchedulerSettings } from '../common/scheduler.settings.js';

export function placementFilterOf(job: Pick<JobRecord, 'privacy' | 'placement'> & { readonly id?: string }): PlacementFilter {
  const r = requirementsFor(job.privacy as { mode: 'tee' | 'fhe' }, job.placement);
  const patterns = regionPatterns(r.regions);
  return {
    teeTypes: r.teeTypes,
    minGpuMemoryGb: r.minGpuMemoryGb,
    ...(r.gpuModels ? { gpuModels: r.gpuModels } : {}),
    ...(patterns ? { regionPatterns: patterns } : {}),
    ...(r.maxHourlyPrice !== undefined ? { maxHourlyPrice: r.maxHourlyPrice } : {}),
    minReliability: r.minReliability,
    allowInterruptible: r.allowInterruptible,
    ...(job.id ? { jobId: job.id } : {}),
  };
}

/**
 * Places queued jobs. One transaction claims a batch of jobs (`FOR UPDATE SKIP LOCKED`), takes the best free node
 * for each (`FOR NO KEY UPDATE SKIP LOCKED` on the node), writes the lease at epoch + 1 and the job's transition with its
 * event and audit entry. Any number of replicas can run this concurrently; the unique index on active leases per
 * job is the last line of defence.
 */
@Injectable()
export class PlacementService {
  private readonly repo: SchedulerRepository;
  private readonly jobs: JobRepository;

  constructor(
    @Inject(DataSource) private readonly ds: DataSource,
    @Inject(AuditLog) private readonly audit: AuditLog,
    @Inject(SchedulerSettings) private readonly settings: SchedulerSettings,
  ) {
    this.repo = new SchedulerRepository(ds);
    this.jobs = new JobRepository(ds);
  }

  /** Returns how many jobs were placed and how many were looked at. */
  async placeBatch(limit = this.settings.placementBatch): Promise<{ placed: number; considered: number }> {
    return this.ds.transaction(async (em) => {
      const claimed = await this.jobs.claimQueued(em, limit);
      let placed = 0;
      const unplaceable: string[] = [];
      for (const job of claimed) {
        const node = await this.repo.takeBestNode(em, placementFilterOf(job));
        if (!node) {
          unplaceable.push(job.id);
          continue;
        }
        const epoch = job.leaseEpoch + 1;
        const lease = await this.repo.insertLease(em, { id: randomUUID(), jobId: job.id, tenantId: job.tenantId, nodeId: node.id, epoch, hourlyPrice: node.hourlyPrice, candidatesConsidered: 0, ttlSeconds: this.settings.leaseTtlSeconds });
        await applyJobTransition(em, { jobs: this.jobs, audit: this.audit }, job, { type: 'lease_granted', epoch, nodeId: node.id }, { type: 'system', id: 'scheduler' }, {
          details: { node_id: node.id, lease_id: lease.id, hourly_price: node.hourlyPrice, region: node.region },
        });
        placed++;
      }
      if (unplaceable.length) {
        await em.query(`UPDATE enterprise.fine_tuning_jobs SET not_before = now() + make_interval(secs => $2) WHERE id = ANY($1::uuid[])`, [unplaceable, this.settings.unplaceableRetryMs / 1000]);
      }
      return { placed, considered: claimed.length };
    });
  }
}
