import { Not, type DataSource, type EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity.js';
import { FheJobEntity } from '../entities/fhe-job.entity.js';
import { FheReplayEntity } from '../entities/fhe-replay.entity.js';
import { rowsOf } from './query-rows.js';

export type FheReplayRecord = Omit<FheReplayEntity, 'job'>;

/**
 * Sampled `fhe-logreg` iteration replays. Claims use `FOR UPDATE SKIP LOCKED` (any number of enterprise replicas)
 * and the database clock; a node never replays its own iteration, and a node with a failed verification on its
 * record does not replay anyone's (a cheater must not get to judge honest work).
 */
export class FheReplayRepository {
  constructor(private readonly ds: DataSource) {}

  async insert(em: EntityManager, row: FheReplayRecord): Promise<void> {
    await em.createQueryBuilder().insert().into(FheReplayEntity).values(row as QueryDeepPartialEntity<FheReplayEntity>).orIgnore().execute();
  }

  /** The oldest open replay this node may run (pending, or claimed by someone whose claim expired), claimed for `ttlSeconds`. */
  async claim(em: EntityManager, nodeId: string, ttlSeconds: number): Promise<FheReplayRecord | null> {
    const eligible = rowsOf(await em.query(
      `SELECT 1 FROM scheduler.nodes n JOIN scheduler.node_reputation r ON r.node_id = n.id
       WHERE n.id = $1 AND n.state = 'active' AND r.verification_failed = 0`,
      [nodeId],
    ));
    if (eligible.length === 0) return null;
    const rows = rowsOf(await em.query(
      `SELECT id FROM enterprise.fhe_replays
       WHERE (state = 'pending' OR (state = 'claimed' AND claimed_until <= now())) AND original_node_id <> $1
         AND EXISTS (SELECT 1 FROM enterprise.fine_tuning_jobs j WHERE j.id = fhe_replays.job_id AND j.status NOT IN ('cancelled', 'failed'))
       ORDER BY created_at LIMIT 1 FOR UPDATE OF fhe_replays SKIP LOCKED`,
      [nodeId],
    )) as Array<{ id: string }>;
    const id = rows[0]?.id;
    if (!id) return null;
    await em.query(`UPDATE enterprise.fhe_replays SET state = 'claimed', replay_node_id = $2, claimed_until = now() + make_interval(secs => $3) WHERE id = $1`, [id, nodeId, ttlSeconds]);
    return em.getRepository(FheReplayEntity).findOneBy({ id });
  }

  /** The replay if `nodeId` holds a live claim on it (database clock). */
  async findClaimed(replayId: string, nodeId: string, em: EntityManager = this.ds.manager): Promise<FheReplayRecord | null> {
    const rows = rowsOf(await em.query(`SELECT id FROM enterprise.fhe_replays WHERE id = $1 AND replay_node_id = $2 AND state = 'claimed' AND claimed_until > now()`, [replayId, nodeId])) as Array<{ id: string }>;
    return rows[0] ? em.getRepository(FheReplayEntity).findOneBy({ id: replayId }) : null;
  }

  lock(em: EntityManager, replayId: string): Promise<FheReplayRecord | null> {
    return em.getRepository(FheReplayEntity).findOne({ where: { id: replayId }, lock: { mode: 'pessimistic_write' } });
  }

  async resolve(em: EntityManager, replayId: string, verdict: 'match' | 'mismatch', replaySha256: string): Promise<void> {
    await em.query(`UPDATE enterprise.fhe_replays SET state = $2, replay_sha256 = $3, claimed_until = NULL, resolved_at = now() WHERE id = $1`, [replayId, verdict, replaySha256]);
  }

  /** The job's replays of its current run (superseded ones excluded), oldest first. */
  ofJob(jobId: string, em: EntityManager = this.ds.manager): Promise<FheReplayRecord[]> {
    return em.getRepository(FheReplayEntity).find({ where: { jobId, state: Not('superseded' as const) }, order: { leaseEpoch: 'ASC', iteration: 'ASC' } });
  }

  /**
   * After a mismatch the run's encrypted weights cannot be trusted: the job's iteration state goes back to zero with
   * a new sampling key, and the run's replays become history. The next lease starts over.
   */
  async resetRun(em: EntityManager, jobId: string, salt: Buffer, zeroWeights: number[]): Promise<void> {
    await em.query(`UPDATE enterprise.fhe_replays SET state = 'superseded', claimed_until = NULL WHERE job_id = $1 AND state <> 'superseded'`, [jobId]);
    await em.getRepository(FheJobEntity).update(
      { jobId },
      { state: 'running', completedIterations: 0, weights: zeroWeights, holdoutAccuracy: null, baselineAccuracy: null, outputSha256: null, replaySalt: salt, updatedAt: new Date() },
    );
  }
}
