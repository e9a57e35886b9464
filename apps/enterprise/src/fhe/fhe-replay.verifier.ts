import { randomBytes } from 'node:crypto';
import { FheReplayRepository, FheRepository, type JobRecord } from '@confide/persistence';
import type { DataSource, EntityManager } from 'typeorm';

/** What the replays of one `fhe-logreg` run came to. */
export interface FheReplaySummary {
  readonly sampled: number;
  readonly matched: number;
  readonly mismatched: number;
  readonly open: number;
}

export type FheVerdict =
  | { readonly verdict: 'pending' }
  | { readonly verdict: 'passed' | 'failed'; readonly code: string; readonly nodeId: string | null; readonly replay: FheReplaySummary };

/** Replays nobody claimed for this long do not hold a finished job back; the verdict says so (`replay_unavailable`). */
export const DEFAULT_REPLAY_WAIT_MS = 15 * 60_000;

/**
 * The job verifier's check of an `fhe-logreg` output (DESIGN §5.4): the uploaded encrypted weights must be the very
 * ciphertext the node refreshed its last iteration with (the owner decrypted and evaluated those), and every sampled
 * iteration's replay on another node must have matched. Waits (`pending`) while replays are open.
 */
export class FheReplayVerifier {
  private readonly fhe: FheRepository;
  private readonly replays: FheReplayRepository;

  constructor(
    ds: DataSource,
    private readonly waitMs = DEFAULT_REPLAY_WAIT_MS,
  ) {
    this.fhe = new FheRepository(ds);
    this.replays = new FheReplayRepository(ds);
  }

  async check(job: JobRecord, outputSha256: string, nodeId: string | null): Promise<FheVerdict> {
    const run = await this.fhe.findJob(job.tenantId, job.id);
    const rows = await this.replays.ofJob(job.id);
    const open = rows.filter((r) => r.state === 'pending' || r.state === 'claimed');
    const mismatch = rows.find((r) => r.state === 'mismatch');
    const replay = { sampled: rows.length, matched: rows.filter((r) => r.state === 'match').length, mismatched: rows.filter((r) => r.state === 'mismatch').length, open: open.length };
    if (mismatch) return { verdict: 'failed', code: 'replay_mismatch', nodeId: mismatch.originalNodeId, replay };
    if (!run || run.state !== 'finished' || !run.outputSha256) return { verdict: 'failed', code: 'fhe_run_unfinished', nodeId, replay };
    if (run.outputSha256 !== outputSha256) return { verdict: 'failed', code: 'model_digest_mismatch', nodeId, replay };
    if (open.length > 0) {
      const oldest = Math.min(...open.map((r) => r.createdAt.getTime()));
      if (Date.now() - oldest < this.waitMs) return { verdict: 'pending' };
      return { verdict: 'passed', code: 'replay_unavailable', nodeId, replay };
    }
    return { verdict: 'passed', code: rows.length ? 'replay_matched' : 'no_replay_sampled', nodeId, replay };
  }

  /** A failed run cannot be resumed from: the next lease starts the iterations over, with a new sampling key. */
  async resetRun(em: EntityManager, job: JobRecord): Promise<void> {
    const run = await this.fhe.findJob(job.tenantId, job.id);
    if (!run) return;
    await this.replays.resetRun(em, job.id, randomBytes(32), new Array<number>(run.weights.length).fill(0));
  }
}
