import { mkdirSync } from 'node:fs';
import { DataSource, type MigrationInterface } from 'typeorm';
import { PGliteDriver } from 'typeorm-pglite';
import { MIGRATIONS } from '../../../migrations/index.js';
import { ALL_ENTITIES } from './entities/index.js';

export type DatabaseTarget = { readonly kind: 'postgres'; readonly url: string; readonly poolSize?: number } | { readonly kind: 'pglite'; readonly dir: string };

export interface DataSourceOptions {
  readonly migrations?: ReadonlyArray<new () => MigrationInterface>;
  readonly logging?: boolean;
}

/**
 * One DataSource for either real Postgres or embedded PGlite; the same entities and migrations on both.
 * `synchronize` is always off: the schema only ever changes through migrations.
 */
export function createDataSource(target: DatabaseTarget, options: DataSourceOptions = {}): DataSource {
  const common = {
    type: 'postgres' as const,
    entities: ALL_ENTITIES,
    migrations: [...(options.migrations ?? MIGRATIONS)],
    migrationsTableName: 'migrations',
    migrationsTransactionMode: 'each' as const,
    synchronize: false,
    migrationsRun: false,
    logging: options.logging ?? false,
  };
  if (target.kind === 'postgres') {
    // Idle pool connections live 5 minutes (node-postgres closes them after 10 s by default): a connection opened for a
    // burst is then still there for the next one, instead of a new backend being forked and warming its catalog and
    // plan caches while requests wait behind it.
    return new DataSource({ ...common, url: target.url, extra: { max: target.poolSize ?? 10, idleTimeoutMillis: 300_000, application_name: 'confide' } });
  }
  mkdirSync(target.dir, { recursive: true, mode: 0o700 });
  return new DataSource({ ...common, driver: new PGliteDriver({ dataDir: target.dir }).driver });
}

/** Applies pending migrations; returns the names applied. */
export async function migrate(ds: DataSource): Promise<string[]> {
  const applied = await ds.runMigrations({ transaction: 'each' });
  return applied.map((m) => m.name);
}

/** Names of migrations not yet applied (empty when the schema is current). */
export async function pendingMigrations(ds: DataSource): Promise<string[]> {
  const executed = new Set(
    (await ds.query(`SELECT name FROM migrations`).catch(() => [] as Array<{ name: string }>)).map((r: { name: string }) => r.name),
  );
  return ds.migrations.map((m) => m.name ?? m.constructor.name).filter((n) => !executed.has(n));
}

/** SQL the entities would still need beyond the migrations; non-empty means a migration is missing. */
export async function schemaDrift(ds: DataSource): Promise<string[]> {
  const sql = await ds.driver.createSchemaBuilder().log();
  return sql.upQueries.map((q) => q.query);
}
