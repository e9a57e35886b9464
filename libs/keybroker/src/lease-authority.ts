import type { EntityManager } from 'typeorm';

/** What the key broker asks before releasing: does this node hold this job's lease at this epoch, still live? */
export interface LeaseCheck {
  readonly tenantId: string;
  readonly jobId: string;
  readonly leaseEpoch: number;
  /** The authenticated node (token subject) making the request. */
  readonly nodeId: string;
}

export type LeaseVerdict =
  | { readonly ok: true; readonly region?: string }
  | { readonly ok: false; readonly reason: 'lease_unknown' | 'lease_epoch_stale' | 'lease_expired' | 'lease_holder_mismatch' | 'job_cancelled' };

/**
 * The fencing seam between the key broker and the scheduler (DESIGN §5.4). The scheduler implements it over its
 * lease table and may use `em` to read the lease in the release transaction (a `FOR SHARE` row lock then fences a
 * concurrent re-lease or cancel against the release). Lease expiry must be judged by the database clock.
 */
export interface LeaseAuthority {
  checkLease(check: LeaseCheck, em: EntityManager): Promise<LeaseVerdict>;
}

export const LEASE_AUTHORITY = Symbol('LEASE_AUTHORITY');

interface HeldLease {
  epoch: number;
  nodeId?: string;
  region?: string;
  cancelled: boolean;
}

/**
 * Stand-in until the scheduler owns leases: leases granted by code (tests, embedded mode). Unknown jobs are denied.
 * Epochs only move forward; a grant with a lower epoch than the current one is ignored.
 */
export class InMemoryLeaseAuthority implements LeaseAuthority {
  private readonly leases = new Map<string, HeldLease>();

  grant(lease: { tenantId: string; jobId: string; epoch: number; nodeId?: string; region?: string }): void {
    const key = `${lease.tenantId}\u0000${lease.jobId}`;
    const current = this.leases.get(key);
    if (current && current.epoch > lease.epoch) return;
    this.leases.set(key, {
      epoch: lease.epoch,
      cancelled: current?.cancelled ?? false,
      ...(lease.nodeId ? { nodeId: lease.nodeId } : {}),
      ...(lease.region ? { region: lease.region } : {}),
    });
  }

  cancel(tenantId: string, jobId: string): void {
    const lease = this.leases.get(`${tenantId}\u0000${jobId}`);
    if (lease) lease.cancelled = true;
  }

  checkLease(check: LeaseCheck): Promise<LeaseVerdict> {
    const lease = this.leases.get(`${check.tenantId}\u0000${check.jobId}`);
    if (!lease) return Promise.resolve({ ok: false, reason: 'lease_unknown' });
    if (lease.cancelled) return Promise.resolve({ ok: false, reason: 'job_cancelled' });
    if (lease.epoch !== check.leaseEpoch) return Promise.resolve({ ok: false, reason: 'lease_epoch_stale' });
    if (lease.nodeId && lease.nodeId !== check.nodeId) return Promise.resolve({ ok: false, reason: 'lease_holder_mismatch' });
    return Promise.resolve({ ok: true, ...(lease.region ? { region: lease.region } : {}) });
  }
}
