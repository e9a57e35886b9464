/**
 * `node dist/libs/persistence/src/cli/migrations.js check|generate NAME|run`
 * - check: applies migrations to the configured database, then fails (exit 1) if the entities would still
 *   generate SQL (a missing migration). Used by CI.
 * - generate NAME: writes migrations/<timestamp>-<name>.ts with the SQL the entities need beyond the migrations.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDataSource, migrate, schemaDrift } from '../data-source.factory.js';

const [cmd, name] = process.argv.slice(2);
const url = process.env.DATABASE_URL;
const target = url ? ({ kind: 'postgres', url } as const) : ({ kind: 'pglite', dir: process.env.PGLITE_DIR ?? '.confide/pgdata' } as const);
const ds = createDataSource(target);
await ds.initialize();
try {
  await migrate(ds);
  const drift = await schemaDrift(ds);
  if (cmd === 'check' || cmd === 'run') {
    if (cmd === 'check' && drift.length > 0) {
      process.stderr.write(`Entities and migrations disagree; missing SQL:\n${drift.join(';\n')};\n`);
      process.exitCode = 1;
    } else process.stdout.write(cmd === 'check' ? 'schema matches the entities\n' : 'migrations applied\n');
  } else if (cmd === 'generate' && name && /^[A-Za-z][A-Za-z0-9]*$/.test(name)) {
    const down = (await ds.driver.createSchemaBuilder().log()).downQueries.map((q) => q.query).reverse();
    const ts = Date.now();
    const cls = `${name}${ts}`;
    const body = `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${cls} implements MigrationInterface {
  name = '${cls}';

  async up(q: QueryRunner): Promise<void> {
${drift.map((s) => `    await q.query(${JSON.stringify(s)});`).join('\n')}
  }

  async down(q: QueryRunner): Promise<void> {
${down.map((s) => `    await q.query(${JSON.stringify(s)});`).join('\n')}
  }
}
`;
    const file = join(process.cwd(), 'migrations', `${ts}-${name.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}.ts`);
    writeFileSync(file, body);
    process.stdout.write(`wrote ${file}; add ${cls} to migrations/index.ts\n`);
  } else {
    process.stderr.write('usage: migrations check | run | generate <PascalCaseName>\n');
    process.exitCode = 2;
  }
} finally {
  await ds.destroy();
}
