import { createDataSource, PreparedStatements } from '@confide/persistence';
import { openTestDatabase, type TestDatabase } from '../support/databases.js';

describe.each(['postgres', 'pglite'] as const)('prepared statements on %s', (kind) => {
  let db: TestDatabase;
  beforeAll(async () => {
    db = await openTestDatabase(kind, { migrate: false });
  });
  afterAll(async () => db?.drop());

  it('answer like a plain query, with parameters of several types and nulls', async () => {
    const prepared = new PreparedStatements(db.ds);
    const text = `SELECT $1::int + 1 AS n, $2::text AS t, $3::uuid AS u, $4::timestamptz AS at`;
    for (let i = 0; i < 3; i++) {
      const rows = await prepared.query<{ n: number; t: string; u: string | null; at: Date }>(text, [i, `v${i}`, null, new Date('2026-01-01T00:00:00Z')]);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ n: i + 1, t: `v${i}`, u: null });
      expect(new Date(rows[0]!.at).toISOString()).toBe('2026-01-01T00:00:00.000Z');
    }
  });

  if (kind === 'postgres') {
    it('prepare each text once per connection under one stable name, two texts under two names', async () => {
      // One connection, so the session that prepared is the one asked.
      const ds = createDataSource({ ...(db.target as { kind: 'postgres'; url: string }), poolSize: 1 });
      await ds.initialize();
      try {
        const a = new PreparedStatements(ds);
        const b = new PreparedStatements(ds); // another repository instance: the same name for the same text
        await a.query(`SELECT 1 AS one WHERE $1::int > 0`, [1]);
        await b.query(`SELECT 1 AS one WHERE $1::int > 0`, [2]);
        await a.query(`SELECT 2 AS two WHERE $1::int > 0`, [1]);
        const names = (await ds.query(`SELECT name, statement FROM pg_prepared_statements ORDER BY statement`)) as Array<{ name: string; statement: string }>;
        expect(names.map((n) => n.statement)).toEqual([`SELECT 1 AS one WHERE $1::int > 0`, `SELECT 2 AS two WHERE $1::int > 0`]);
        expect(names.every((n) => /^confide_[0-9a-f]{32}$/.test(n.name))).toBe(true);
      } finally {
        await ds.destroy();
      }
    });
  }
});
