import type { DataSource, EntityManager } from 'typeorm';
import { AuditCheckpointEntity } from '../entities/audit-checkpoint.entity.js';
import { AuditEntryEntity } from '../entities/audit-entry.entity.js';
import { toBuffer } from '../entities/transformers.js';
import type { RowInsert } from './row-insert.js';

export interface TreeHeadRow {
  readonly size: number;
  readonly root: Buffer;
  readonly edge: Buffer;
}

export interface StoredNode {
  readonly level: number;
  readonly index: number;
  readonly hash: Buffer;
}

export interface StoredEntry {
  readonly leafIndex: number;
  readonly tenantId: string | null;
  readonly action: string;
  readonly createdAt: Date;
  readonly canonical: string;
  readonly leafHash: Buffer;
}

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Buffer;
  readonly signedAt: Date;
  readonly note: string;
}

/** A validated, serialised audit record waiting in the queue for the integrator. */
export interface PendingAuditRow {
  readonly tenantId: string | null;
  readonly action: string;
  readonly createdAt: Date;
  readonly payload: string;
}

/** Storage of the audit Merkle log. Appends run inside the caller's transaction. */
export class AuditRepository {
  constructor(private readonly ds: DataSource) {}

  /** Runs `work` in a transaction of its own (the integrator's). */
  transaction<T>(work: (em: EntityManager) => Promise<T>): Promise<T> {
    return this.ds.transaction(work);
  }

  /** Locks the tree head for the rest of the caller's transaction; appends are serialised on this row. */
  async lockHead(em: EntityManager): Promise<TreeHeadRow> {
    const rows: Array<{ size: string; root: Buffer; edge: Buffer }> = await em.query(
      `SELECT size, root, edge FROM audit.tree_heads WHERE id = 1 FOR UPDATE`,
    );
    const row = rows[0];
    if (!row) throw new Error('audit tree head is missing: migrations not applied');
    return { size: Number(row.size), root: toBuffer(row.root), edge: toBuffer(row.edge) };
  }

  async readHead(): Promise<TreeHeadRow> {
    const rows: Array<{ size: string; root: Buffer; edge: Buffer }> = await this.ds.query(
      `SELECT size, root, edge FROM audit.tree_heads WHERE id = 1`,
    );
    const row = rows[0];
    if (!row) throw new Error('audit tree head is missing: migrations not applied');
    return { size: Number(row.size), root: toBuffer(row.root), edge: toBuffer(row.edge) };
  }

  /** Queues a record inside the caller's transaction (one INSERT; no lock on the tree). */
  async enqueue(em: EntityManager, row: PendingAuditRow): Promise<number> {
    const rows: Array<{ id: string }> = await em.query(
      `INSERT INTO audit.pending (tenant_id, action, created_at, payload) VALUES ($1, $2, $3, $4) RETURNING id`,
      [row.tenantId, row.action, row.createdAt, row.payload],
    );
    return Number(rows[0]!.id);
  }

  /** The same queue row, for a statement that writes it together with the action it records (`RowInsert`). */
  static pendingInsert(row: PendingAuditRow): RowInsert {
    return { table: 'audit.pending', columns: ['tenant_id', 'action', 'created_at', 'payload'], values: [row.tenantId, row.action, row.createdAt, row.payload] };
  }

  /**
   * Becomes the integrator for the rest of `em`'s transaction, or returns false if another process is integrating.
   * The advisory lock keeps one integrator per deployment however many replicas run.
   */
  async tryBecomeIntegrator(em: EntityManager): Promise<boolean> {
    const rows: Array<{ ok: boolean }> = await em.query(`SELECT pg_try_advisory_xact_lock(7016640330) AS ok`);
    return rows[0]?.ok === true;
  }

  /** Takes up to `limit` queued records, oldest first, removing them from the queue within `em`'s transaction. */
  async takePending(em: EntityManager, limit: number): Promise<Array<{ id: number; tenantId: string | null; action: string; createdAt: Date; payload: string }>> {
    type Row = { id: string; tenant_id: string | null; action: string; created_at: Date; payload: string };
    // TypeORM answers DELETE ... RETURNING with [rows, affected] on Postgres.
    const result: unknown = await em.query(
      `DELETE FROM audit.pending WHERE id IN (SELECT id FROM audit.pending ORDER BY id LIMIT $1 FOR UPDATE SKIP LOCKED)
       RETURNING id, tenant_id, action, created_at, payload`,
      [limit],
    );
    const rows = (Array.isArray(result) && Array.isArray(result[0]) ? result[0] : result) as Row[];
    return rows
      .map((r) => ({ id: Number(r.id), tenantId: r.tenant_id, action: r.action, createdAt: new Date(r.created_at), payload: r.payload }))
      .sort((a, b) => a.id - b.id);
  }

  async countPending(): Promise<number> {
    const rows: Array<{ n: string }> = await this.ds.query(`SELECT count(*) AS n FROM audit.pending`);
    return Number(rows[0]?.n ?? 0);
  }

  /**
   * Writes integrated leaves, the subtrees they completed and the new head in one statement (three data-modifying
   * CTEs: one round trip instead of three; they run on one snapshot, and none reads what another writes).
   */
  async appendLeaves(em: EntityManager, entries: readonly StoredEntry[], nodes: readonly StoredNode[], head: TreeHeadRow): Promise<void> {
    await em.query(
      `WITH e AS (
         INSERT INTO audit.entries (leaf_index, tenant_id, action, created_at, canonical, leaf_hash)
         SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::timestamptz[], $5::text[], $6::bytea[])
       ), n AS (
         INSERT INTO audit.nodes (level, idx, hash) SELECT * FROM unnest($7::smallint[], $8::bigint[], $9::bytea[])
       )
       UPDATE audit.tree_heads SET size = $10, root = $11, edge = $12, updated_at = now() WHERE id = 1`,
      [
        entries.map((e) => e.leafIndex),
        entries.map((e) => e.tenantId),
        entries.map((e) => e.action),
        entries.map((e) => e.createdAt),
        entries.map((e) => e.canonical),
        entries.map((e) => e.leafHash),
        nodes.map((n) => n.level),
        nodes.map((n) => n.index),
        nodes.map((n) => n.hash),
        head.size,
        head.root,
        head.edge,
      ],
    );
  }

  async readNodes(keys: ReadonlyArray<{ level: number; index: number }>): Promise<StoredNode[]> {
    if (keys.length === 0) return [];
    const rows: Array<{ level: number; idx: string; hash: Buffer }> = await this.ds.query(
      `SELECT n.level, n.idx, n.hash FROM audit.nodes n
         JOIN unnest($1::smallint[], $2::bigint[]) AS k(level, idx) ON n.level = k.level AND n.idx = k.idx`,
      [keys.map((k) => k.level), keys.map((k) => k.index)],
    );
    return rows.map((r) => ({ level: Number(r.level), index: Number(r.idx), hash: toBuffer(r.hash) }));
  }

  async findEntry(leafIndex: number): Promise<StoredEntry | null> {
    return this.ds.getRepository(AuditEntryEntity).findOneBy({ leafIndex });
  }

  /** Entries of one tenant (or all tenants when `tenantId` is undefined), in log order after `after`. */
  async listEntries(tenantId: string | undefined, after: number, limit: number): Promise<StoredEntry[]> {
    const qb = this.ds
      .getRepository(AuditEntryEntity)
      .createQueryBuilder('e')
      .where('e.leaf_index > :after', { after })
      .orderBy('e.leaf_index', 'ASC')
      .limit(limit);
    if (tenantId !== undefined) qb.andWhere('e.tenant_id = :tenantId', { tenantId });
    return qb.getMany();
  }

  /** Stored leaf hashes in [start, start+limit), as rows (index, hash); no entry content. */
  async leafHashes(start: number, limit: number): Promise<Array<{ index: number; hash: Buffer }>> {
    const rows: Array<{ leaf_index: string; leaf_hash: Buffer }> = await this.ds.query(
      `SELECT leaf_index, leaf_hash FROM audit.entries WHERE leaf_index >= $1 ORDER BY leaf_index LIMIT $2`,
      [start, limit],
    );
    return rows.map((r) => ({ index: Number(r.leaf_index), hash: toBuffer(r.leaf_hash) }));
  }

  async latestCheckpoint(): Promise<StoredCheckpoint | null> {
    return this.ds.getRepository(AuditCheckpointEntity).findOne({ where: {}, order: { size: 'DESC' } });
  }

  async listCheckpoints(after: number, limit: number): Promise<StoredCheckpoint[]> {
    return this.ds
      .getRepository(AuditCheckpointEntity)
      .createQueryBuilder('c')
      .where('c.size > :after', { after })
      .orderBy('c.size', 'ASC')
      .limit(limit)
      .getMany();
  }

  /** Stores a checkpoint unless one for that size exists; returns the stored one. */
  async saveCheckpoint(cp: StoredCheckpoint): Promise<StoredCheckpoint> {
    await this.ds.query(
      `INSERT INTO audit.checkpoints (size, root, signed_at, note) VALUES ($1, $2, $3, $4) ON CONFLICT (size) DO NOTHING`,
      [cp.size, cp.root, cp.signedAt, cp.note],
    );
    const stored = await this.ds.getRepository(AuditCheckpointEntity).findOneBy({ size: cp.size });
    if (!stored) throw new Error('checkpoint vanished after insert');
    return stored;
  }
}
