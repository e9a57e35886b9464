import { pendingMigrations, schemaDrift } from '@confide/persistence';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';

describe.each(['postgres', 'pglite'] as const)('migrations on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(kind, { migrate: false });
  });
  afterAll(async () => db?.drop());

  it('run up from an empty database', async () => {
    expect(await pendingMigrations(db.ds)).toEqual(['Init1764072000000', 'AuditQueue1795610055862', 'Datasets1795610400923', 'Attestation1795610647946', 'Jobs1795611202821', 'FheDatasets1795612800000', 'FheReplays1795613400000', 'DatasetUploads1796287794978', 'CanaryChance1796300000000', 'NodeLiveness1796400000000']);
    await db.ds.runMigrations();
    expect(await pendingMigrations(db.ds)).toEqual([]);
  });

  it('leave no drift between the entities and the schema', async () => {
    expect(await schemaDrift(db.ds)).toEqual([]);
  });

  it('make the audit tables append-only in the database itself', async () => {
    await expect(db.ds.query(`DELETE FROM audit.entries`)).rejects.toThrow(/append-only/);
    await expect(db.ds.query(`TRUNCATE audit.nodes`)).rejects.toThrow(/append-only/);
  });

  it('carry a node’s liveness into scheduler.node_liveness and back (NodeLiveness1796400000000)', async () => {
    const undoUntilPending = async () => {
      while (!(await pendingMigrations(db.ds)).includes('NodeLiveness1796400000000')) await db.ds.undoLastMigration();
    };
    await undoUntilPending();
    const id = '0b1f5d1e-8a51-4b1e-9d53-3c1f1e0c0a01';
    await db.ds.query(
      `INSERT INTO scheduler.nodes (id, name, operator_tenant_id, operator_subject, provider, region, gpu_model, gpu_count, gpu_memory_gb, tee_type, hourly_price,
         max_concurrent_leases, active_leases, state, identity_jkt, identity_jwk, reliability, available_until, registered_at, last_seen_at)
       VALUES ($1, 'n', 'ops', 'ops', 'p', 'eu-west-1', 'H100', 1, 80, 'sev-snp', 2, 1, 0, 'active', 'jkt-m', '{}'::jsonb, 0.8,
         '2026-12-04T10:00:00Z', '2026-12-04T09:00:00Z', '2026-12-04T09:59:00Z')`,
      [id],
    );
    await db.ds.runMigrations();
    const [live] = await db.ds.query(`SELECT available_until, last_seen_at FROM scheduler.node_liveness WHERE node_id = $1`, [id]);
    expect([new Date(live.available_until).toISOString(), new Date(live.last_seen_at).toISOString()]).toEqual(['2026-12-04T10:00:00.000Z', '2026-12-04T09:59:00.000Z']);
    await undoUntilPending();
    const [back] = await db.ds.query(`SELECT available_until, last_seen_at FROM scheduler.nodes WHERE id = $1`, [id]);
    expect([new Date(back.available_until).toISOString(), new Date(back.last_seen_at).toISOString()]).toEqual(['2026-12-04T10:00:00.000Z', '2026-12-04T09:59:00.000Z']);
    await db.ds.query(`DELETE FROM scheduler.nodes WHERE id = $1`, [id]);
    await db.ds.runMigrations();
    expect(await pendingMigrations(db.ds)).toEqual([]);
  });

  it('roll back cleanly', async () => {
    while ((await pendingMigrations(db.ds)).length < db.ds.migrations.length) await db.ds.undoLastMigration();
    const rows = await db.ds.query(`SELECT to_regclass('audit.entries') AS t`);
    expect(rows[0].t).toBeNull();
  });
});
