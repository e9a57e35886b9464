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

  it('roll back cleanly', async () => {
    while ((await pendingMigrations(db.ds)).length < db.ds.migrations.length) await db.ds.undoLastMigration();
    const rows = await db.ds.query(`SELECT to_regclass('audit.entries') AS t`);
    expect(rows[0].t).toBeNull();
  });
});
