import type { DataSource, EntityManager } from 'typeorm';
import type { RowInsert } from './row-insert.js';
import { SchedulerRepository, type LeaseVerdictRow } from './scheduler.repository.js';

type LeaseCheck = { readonly tenantId: string; readonly jobId: string; readonly leaseEpoch: number; readonly nodeId: string };
type LeaseVerdict =
  | { readonly ok: true; readonly region?: string }
  | { readonly ok: false; readonly reason: NonNullable<LeaseVerdictRow['denial']> };

function verdictOf(row: LeaseVerdictRow | null): LeaseVerdict {
  if (!row) return { ok: false, reason: 'lease_unknown' };
  return row.denial ? { ok: false, reason: row.denial } : { ok: true, region: row.region };
}

/**
 * The scheduler's answer to the key broker's `LeaseAuthority` (structurally identical to @confide/keybroker's
 * interface, which persistence does not import): the lease at the job's current epoch, live by the database clock,
 * held by the asking node (its id or its operator's token subject), and the job not being cancelled — one rule, in
 * SQL (`SchedulerRepository.leaseVerdict`), one statement. Row locks are taken lease first, then job, the order every
 * scheduler writer uses.
 */
export class SchedulerLeaseAuthority {
  private readonly repo: SchedulerRepository;
  constructor(ds: DataSource) {
    this.repo = new SchedulerRepository(ds);
  }

  async checkLease(check: LeaseCheck, em: EntityManager): Promise<LeaseVerdict> {
    // Inside a transaction the rows are share-locked until it ends (the authoritative check); outside one (a
    // pre-check) a lock would end with the statement, so none is taken.
    return verdictOf(await this.repo.leaseVerdict(em, check, em.queryRunner?.isTransactionActive === true));
  }

  /**
   * The authoritative check fused with the writes it fences: one statement share-locks the lease and job rows and
   * inserts `writes` only if the lease holds, so they exist only if it held when they were written (a re-lease or
   * cancel that commits first wins; one that comes later waits for the statement). An `ok` verdict means every row
   * was written; any other, none.
   */
  async commitIfHeld(check: LeaseCheck, writes: readonly RowInsert[]): Promise<LeaseVerdict> {
    return verdictOf(await this.repo.commitIfLeaseHeld(check, writes));
  }
}
