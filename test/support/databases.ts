import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import type { DataSource } from 'typeorm';
import { createDataSource, migrate, type DatabaseTarget } from '@confide/persistence';

/**
 * Real databases for tests: a fresh Postgres database per call (on the server named by TEST_DATABASE_URL, default
 * the local cluster), or a fresh PGlite directory. Both get the real migrations.
 */
export const ADMIN_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly target: DatabaseTarget;
  readonly ds: DataSource;
  drop(): Promise<void>;
}

export async function createPostgresTarget(): Promise<{ target: DatabaseTarget; drop: () => Promise<void> }> {
  const name = `confide_t_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    target: { kind: 'postgres', url: url.toString(), poolSize: 10 },
    drop: async () => {
      const c = new pg.Client({ connectionString: ADMIN_URL });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export function createPgliteTarget(): { target: DatabaseTarget; drop: () => Promise<void> } {
  const dir = mkdtempSync(join(tmpdir(), 'confide-pglite-'));
  return { target: { kind: 'pglite', dir }, drop: async () => rmSync(dir, { recursive: true, force: true }) };
}

export async function openTestDatabase(kind: 'postgres' | 'pglite', options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const { target, drop } = kind === 'postgres' ? await createPostgresTarget() : createPgliteTarget();
  const ds = createDataSource(target);
  await ds.initialize();
  if (options.migrate !== false) await migrate(ds);
  return {
    target,
    ds,
    drop: async () => {
      if (ds.isInitialized) await ds.destroy();
      await drop();
    },
  };
}
