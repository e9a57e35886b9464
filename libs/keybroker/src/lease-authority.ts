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
 * A row the key broker asks the lease authority to write only while the lease holds (the release record and its audit
 * record); table and columns are the repositories' own constants (structurally @confide/persistence's `RowInsert`).
 */
export interface FencedRow {
  readonly table: string;
  readonly columns: readonly string[];
  readonly values: readonly unknown[];
}

/**
 * The fencing seam between the key broker and the scheduler (DESIGN §5.4), implemented by the scheduler over its
 * lease table; lease expiry is judged by the database clock.
 * - `checkLease` answers a pre-check (with `em` outside a transaction: no lock), or, inside the caller's
 *   transaction, reads the lease under a `FOR SHARE` row lock that fences a concurrent re-lease or cancel.
 * - `commitIfHeld` is the authoritative check of a release: the lease is share-locked and `rows` are written in one
 *   atomic step only if it holds, so a release is recorded exactly when the lease held at that moment.
 */
export interface LeaseAuthority {
  checkLease(check: LeaseCheck, em: EntityManager): Promise<LeaseVerdict>;
  commitIfHeld(check: LeaseCheck, rows: readonly FencedRow[]): Promise<LeaseVerdict>;
}

export const LEASE_AUTHORITY = Symbol('LEASE_AUTHORITY');
