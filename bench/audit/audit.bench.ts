/**
 * bench/audit: audit-log appends per second (each in its own Postgres transaction, as actions do) and proof
 * generation time at 10^6 entries, printed beside the raw single-row INSERT rate measured in the same run on the
 * same server — the physical limit an append (lock head, insert entry + nodes, update head, commit) is bounded by.
 *
 *   npm run bench:audit            (BENCH_DATABASE_URL or TEST_DATABASE_URL; default the local cluster)
 *   BENCH_ENTRIES=1000000 BENCH_SECONDS=5 BENCH_CLIENTS=8
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { AuditKeys, AuditLog, CompactRange, leafHash, type AuditInput } from '@confide/audit';
import { canonicalJson } from '@confide/domain';
import { AuditRepository, createDataSource, migrate } from '@confide/persistence';
import pg from 'pg';
import type { DataSource } from 'typeorm';

const ADMIN = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const TARGET = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const CLIENTS = Number(process.env.BENCH_CLIENTS ?? 8);

const input = (i: number): AuditInput => ({
  tenantId: 'bench',
  actor: { type: 'service', id: 'bench' },
  action: 'bench.append',
  resource: { type: 'thing', id: `t-${i}` },
  outcome: 'success',
  details: { i },
  sensitive: { who: `person${i}@example.com` },
});

async function forSeconds(clients: number, seconds: number, op: (client: number) => Promise<void>): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  await Promise.all(
    Array.from({ length: clients }, async (_, c) => {
      while (performance.now() < end) {
        await op(c);
        done += 1;
      }
    }),
  );
  return done / seconds;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function main(): Promise<void> {
  const name = `confide_bench_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN);
  url.pathname = `/${name}`;
  const ds: DataSource = createDataSource({ kind: 'postgres', url: url.toString(), poolSize: CLIENTS + 2 });
  try {
    await ds.initialize();
    await migrate(ds);
    const log = new AuditLog(new AuditRepository(ds), AuditKeys.ephemeral('bench/audit'));
    const server = (await ds.query('SHOW server_version'))[0].server_version as string;
    const fsync = (await ds.query('SHOW synchronous_commit'))[0].synchronous_commit as string;
    console.log(`Postgres ${server} (synchronous_commit=${fsync}), ${CLIENTS} clients, ${SECONDS} s per measurement`);

    // The physical limit: one-row INSERT, each its own committed transaction, same payload size.
    await ds.query(`CREATE TABLE bench_raw (id bigserial PRIMARY KEY, body text NOT NULL, hash bytea NOT NULL)`);
    const body = canonicalJson({ ...input(0), index: 0, time: new Date().toISOString() });
    const hash = randomBytes(32);
    const rawInsert = async (): Promise<void> => {
      await ds.query(`INSERT INTO bench_raw (body, hash) VALUES ($1, $2)`, [body, hash]);
    };
    const rawTx = async (): Promise<void> => {
      await ds.transaction((em) => em.query(`INSERT INTO bench_raw (body, hash) VALUES ($1, $2)`, [body, hash]));
    };
    const rawSeq = await forSeconds(1, SECONDS, rawInsert);
    const rawPar = await forSeconds(CLIENTS, SECONDS, rawInsert);
    const rawTxSeq = await forSeconds(1, SECONDS, rawTx);
    const rawTxPar = await forSeconds(CLIENTS, SECONDS, rawTx);

    // Appends as actions make them, while the integrator runs beside them (as in the server), then until it has
    // caught up: the sustained rate counts only entries that are in the tree with their proofs.
    let n = 0;
    const append = async (): Promise<void> => {
      const i = n++;
      await ds.transaction((em) => log.append(em, input(i)));
    };
    const measure = async (clients: number): Promise<{ accepted: number; sustained: number; lagMs: number }> => {
      const before = await log.size();
      let running = true;
      const integrator = (async () => {
        while (running) if ((await log.integrate()) === 0) await new Promise((r) => setTimeout(r, 50)); // the server's cadence
      })();
      const t0 = performance.now();
      const accepted = await forSeconds(clients, SECONDS, append);
      const t1 = performance.now();
      running = false;
      await integrator;
      await log.drain();
      const t2 = performance.now();
      return { accepted, sustained: ((await log.size()) - before) / ((t2 - t0) / 1000), lagMs: t2 - t1 };
    };
    const appSeq = await measure(1);
    const appPar = await measure(CLIENTS);

    console.log('\nappends, each in its own audited transaction, integrator running alongside');
    console.log(
      `  limits: raw INSERT 1 client ${rawSeq.toFixed(0)}/s, ${CLIENTS} clients ${rawPar.toFixed(0)}/s; INSERT in BEGIN/COMMIT 1 client ${rawTxSeq.toFixed(0)}/s, ${CLIENTS} clients ${rawTxPar.toFixed(0)}/s`,
    );
    for (const [label, m, limit, limitName] of [
      ['1 client ', appSeq, rawTxSeq, 'INSERT in a transaction'],
      [`${CLIENTS} clients`, appPar, rawTxPar, 'INSERT in a transaction'],
    ] as const) {
      console.log(
        `  ${label}  accepted ${m.accepted.toFixed(0).padStart(6)}/s (${(m.accepted / limit).toFixed(2)}x ${limitName})   in the tree ${m.sustained.toFixed(0).padStart(6)}/s (${(m.sustained / limit).toFixed(2)}x)   integrator lag at end ${m.lagMs.toFixed(0)} ms`,
      );
    }

    // Grow the tree to TARGET entries with bulk loads that write exactly what appends would write.
    const t0 = performance.now();
    const head = await new AuditRepository(ds).readHead();
    const edge: Buffer[] = [];
    for (let i = 0; i < head.edge.length; i += 32) edge.push(head.edge.subarray(i, i + 32));
    const range = new CompactRange(head.size, edge);
    const created = new Date();
    while (range.size < TARGET) {
      const batch = Math.min(20_000, TARGET - range.size);
      const idx: number[] = [];
      const canon: string[] = [];
      const leaves: Buffer[] = [];
      const nl: number[] = [];
      const ni: number[] = [];
      const nh: Buffer[] = [];
      for (let k = 0; k < batch; k++) {
        const i = range.size;
        const c = canonicalJson({ v: 1, index: i, time: created.toISOString(), tenant: 'bench', actor: { type: 'service', id: 'bench' }, action: 'bench.bulk', resource: null, outcome: 'success', reason: null, details: { i }, sensitive: {} });
        const h = leafHash(Buffer.from(c));
        idx.push(i);
        canon.push(c);
        leaves.push(h);
        for (const f of range.append(h)) {
          nl.push(f.level);
          ni.push(f.index);
          nh.push(f.hash);
        }
      }
      await ds.transaction(async (em) => {
        await em.query(`SELECT 1 FROM audit.tree_heads WHERE id = 1 FOR UPDATE`);
        await em.query(
          `INSERT INTO audit.entries (leaf_index, tenant_id, action, created_at, canonical, leaf_hash)
           SELECT i, 'bench', 'bench.bulk', $2, c, h FROM unnest($1::bigint[], $3::text[], $4::bytea[]) AS t(i, c, h)`,
          [idx, created, canon, leaves],
        );
        await em.query(`INSERT INTO audit.nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], $3::bytea[])`, [nl, ni, nh]);
        await em.query(`UPDATE audit.tree_heads SET size = $1, root = $2, edge = $3, updated_at = now() WHERE id = 1`, [range.size, range.root(), Buffer.concat(range.edge)]);
      });
    }
    console.log(`\ngrew the log to ${range.size.toLocaleString()} entries in ${((performance.now() - t0) / 1000).toFixed(1)} s (bulk load)`);
    await ds.query('ANALYZE audit.nodes');
    const cp = await log.checkpoint();

    const timeIt = async (label: string, count: number, op: (k: number) => Promise<void>): Promise<void> => {
      const samples: number[] = [];
      for (let k = 0; k < count; k++) {
        const s = performance.now();
        await op(k);
        samples.push(performance.now() - s);
      }
      console.log(`  ${label.padEnd(34)} p50 ${percentile(samples, 50).toFixed(2)} ms   p99 ${percentile(samples, 99).toFixed(2)} ms   (${count} samples)`);
    };
    const probe = async (): Promise<void> => {
      await ds.query('SELECT 1');
    };
    console.log(`\nproofs at ${cp.size.toLocaleString()} entries (checkpoint root ${cp.root})`);
    await timeIt('round trip SELECT 1 (floor)', 500, probe);
    await timeIt('inclusion proof (random leaf)', 500, async () => {
      await log.inclusionProof(Math.floor(Math.random() * cp.size), cp.size);
    });
    await timeIt('consistency proof (random old size)', 500, async () => {
      await log.consistencyProof(1 + Math.floor(Math.random() * (cp.size - 1)), cp.size);
    });
    await timeIt('root at a past size', 200, async () => {
      await log.rootAt(1 + Math.floor(Math.random() * (cp.size - 1)));
    });
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
  }
}

await main();
