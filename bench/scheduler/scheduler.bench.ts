/**
 * bench/scheduler: placements per second with 1,000 nodes and 10,000 queued jobs on Postgres (each placement =
 * claim job SKIP LOCKED, take best node SKIP LOCKED, insert lease, job transition + event + audit record), printed
 * next to pgbench's simple-update TPS measured in the same run on the same server (the physical limit of small
 * write transactions here); then heartbeat latency p50/p99 at 1,000 nodes (service level, one transaction each).
 *
 *   npm run bench:scheduler   (BENCH_DATABASE_URL / TEST_DATABASE_URL; BENCH_NODES, BENCH_JOBS, BENCH_SECONDS)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { AuditKeys, AuditLog } from '@confide/audit';
import { AuditRepository, createDataSource, migrate, SchedulerRepository, type NodeRecord } from '@confide/persistence';
import pg from 'pg';
import { SchedulerSettings } from '../../apps/scheduler/src/common/scheduler.settings.js';
import { LeaseService } from '../../apps/scheduler/src/leases/lease.service.js';
import { PlacementService } from '../../apps/scheduler/src/placement/placement.service.js';

const ADMIN = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const NODES = Number(process.env.BENCH_NODES ?? 1000);
const JOBS = Number(process.env.BENCH_JOBS ?? 10_000);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 60);

const dbUrl = (name: string) => Object.assign(new URL(ADMIN), { pathname: `/${name}` }).toString();
async function admin(sql: string): Promise<void> {
  const c = new pg.Client({ connectionString: ADMIN });
  await c.connect();
  await c.query(sql);
  await c.end();
}

const name = `confide_bench_sched_${process.pid}`;
const pgbenchDb = `${name}_pgbench`;
const dir = mkdtempSync(join(tmpdir(), 'confide-bench-sched-'));
await admin(`CREATE DATABASE ${name}`);
await admin(`CREATE DATABASE ${pgbenchDb}`);
const ds = createDataSource({ kind: 'postgres', url: dbUrl(name), poolSize: 10 });
try {
  await ds.initialize();
  await migrate(ds);
  const audit = new AuditLog(new AuditRepository(ds), AuditKeys.ephemeral('bench/scheduler'));
  // 1,000 nodes with 10 slots each (room for every job), mixed TEE types, regions and prices.
  await ds.query(
    `INSERT INTO scheduler.nodes (id, name, operator_tenant_id, operator_subject, provider, region, gpu_model, gpu_count, gpu_memory_gb, tee_type, hourly_price, interruptible,
       max_concurrent_leases, active_leases, state, identity_jkt, identity_jwk, attestation_verified, attestation_simulated, reliability, registered_at)
     SELECT gen_random_uuid(), 'n' || i, 'ops', 'ops', 'p' || (i % 7), (ARRAY['eu-west-1','eu-central-1','us-east-1','ap-south-1'])[1 + i % 4], 'H100', 1,
       (ARRAY[24,48,80])[1 + i % 3], (ARRAY['sev-snp','tdx','none'])[1 + i % 3], 1 + (i % 50) / 10.0, i % 5 = 0, 10, 0, 'active', 'jkt-' || i, '{}'::jsonb, true, true,
       0.5 + (i % 50) / 100.0, now()
     FROM generate_series(1, $1) AS i`,
    [NODES],
  );
  await ds.query(`INSERT INTO scheduler.node_reputation (node_id, score, updated_at) SELECT id, reliability, now() FROM scheduler.nodes`);
  await ds.query(`INSERT INTO scheduler.node_liveness (node_id, available_until, last_seen_at) SELECT id, now() + interval '1 hour', now() FROM scheduler.nodes`);
  await ds.query(
    `INSERT INTO enterprise.fine_tuning_jobs (id, tenant_id, status, phase, trainer, model, training_file, hyperparameters, privacy, placement, verification, budget, result_files,
       created_by, created_at, updated_at, queued_at, not_before)
     SELECT gen_random_uuid(), 'bench', 'queued', 'queued', 'text-classifier', 'base', gen_random_uuid(), '{}', 
       CASE WHEN i % 4 = 0 THEN '{"mode":"fhe"}'::jsonb ELSE '{"mode":"tee"}'::jsonb END,
       jsonb_build_object('min_gpu_memory_gb', (ARRAY[0,40,80])[1 + i % 3], 'regions', CASE WHEN i % 2 = 0 THEN '["eu"]'::jsonb ELSE '[]'::jsonb END, 'max_hourly_price', 6, 'min_reliability', 0.4),
       '{}', '{}', '[]', 'bench', now(), now(), now() - make_interval(secs => $1 - i), now() - interval '1 second'
     FROM generate_series(1, $1) AS i`,
    [JOBS],
  );
  await ds.query('ANALYZE');

  const settings = Object.assign(new SchedulerSettings(), { loops: false, placementBatch: 64, unplaceableRetryMs: 3_600_000 });
  const placer = new PlacementService(ds, audit, settings);
  const replicas = Number(process.env.BENCH_REPLICAS ?? 2);
  let placed = 0;
  const t0 = performance.now();
  const deadline = t0 + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: replicas }, async () => {
      while (performance.now() < deadline) {
        const r = await placer.placeBatch();
        placed += r.placed;
        if (r.considered === 0) break;
      }
    }),
  );
  const placeSec = (performance.now() - t0) / 1000;
  const dup = await ds.query(`SELECT count(*)::int AS n FROM (SELECT job_id FROM scheduler.leases WHERE state = 'active' GROUP BY job_id HAVING count(*) > 1) d`);
  const rate = placed / placeSec;

  // pgbench simple-update in a scratch database, same server, same run, bounded time.
  execFileSync('pgbench', ['-i', '-q', '-s', '1', dbUrl(pgbenchDb)], { stdio: 'ignore' });
  const out = execFileSync('pgbench', ['-b', 'simple-update', '-c', '2', '-j', '2', '-T', '10', dbUrl(pgbenchDb)], { encoding: 'utf8' });
  const tps = Number(/tps = ([\d.]+)/.exec(out)?.[1] ?? NaN);

  // Heartbeats: every node once, reporting its live leases, 4 in flight.
  const leases = new LeaseService(ds, audit, settings);
  const repo = new SchedulerRepository(ds);
  const nodes = (await ds.query(`SELECT id FROM scheduler.nodes`)) as Array<{ id: string }>;
  const held = new Map<string, Array<{ id: string; epoch: number }>>();
  for (const r of (await ds.query(`SELECT id, node_id, epoch FROM scheduler.leases WHERE state = 'active'`)) as Array<{ id: string; node_id: string; epoch: number }>) {
    held.set(r.node_id, [...(held.get(r.node_id) ?? []), { id: r.id, epoch: r.epoch }]);
  }
  const lat: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (next < nodes.length) {
        const n = nodes[next++]!;
        const node = (await repo.findNode(n.id)) as NodeRecord;
        const s = performance.now();
        await leases.heartbeat(node, { leases: held.get(n.id) ?? [] });
        lat.push(performance.now() - s);
      }
    }),
  );
  lat.sort((a, b) => a - b);
  const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))]!.toFixed(1);

  console.log(`scheduler bench (${NODES} nodes x 10 slots, ${JOBS} queued jobs, ${replicas} placement loops)`);
  console.log(`  placements:           ${placed} in ${placeSec.toFixed(1)} s = ${rate.toFixed(0)} placements/s (double-assigned jobs: ${dup[0].n})`);
  console.log(`  pgbench simple-update: ${tps.toFixed(0)} TPS (-c 2 -j 2 -T 10, same server)`);
  console.log(`  ratio:                ${(rate / tps).toFixed(3)} placements per simple-update transaction`);
  console.log(`  heartbeat (${lat.length} nodes, 4 in flight, leases reported): p50 ${pct(50)} ms, p99 ${pct(99)} ms, max ${lat.at(-1)!.toFixed(1)} ms`);
  await audit.drain().catch(() => undefined);
} finally {
  if (ds.isInitialized) await ds.destroy();
  await admin(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin(`DROP DATABASE IF EXISTS ${pgbenchDb} WITH (FORCE)`);
  rmSync(dir, { recursive: true, force: true });
}
