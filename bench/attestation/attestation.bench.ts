/**
 * Attestation verification rates and key-release latency, next to the machine's raw ECDSA verify rates measured
 * in the same run.
 *
 *   openssl speed ecdsap384 / ecdsap256: the physical limit for one P-384 / P-256 signature verify. `openssl speed`
 *        divides by the CPU (user) time of its process, so the verifiers here are also rated per CPU second of this
 *        process (user + system, all threads): "per core", and comparable on a machine shared with other work.
 *        Wall-clock rates are printed beside them.
 *   SNP: SnpVerifier on a real Milan report (virtee) with its VCEK, certificate chain cached after the first call
 *        (one P-384 verify per report) — target >= 0.7 x openssl P-384 verify/s
 *   TDX: TdxVerifier on a real SPR v4 quote (go-tdx-guest), PCK chain cached; per quote one P-256 verify of the
 *        quote signature, the QE report data hash, and the QE report signature (P-256), which is verified once per
 *        exact (PCK key, QE report, signature) bytes and remembered (it repeats across quotes of one platform)
 *        — target >= 0.35 x openssl P-256 verify/s
 *   release: the real attestation service + key broker on a fresh Postgres database (127.0.0.1), a simulated node's
 *        attestation result, then POST /attestation/v1/keys/{id}/release at a fixed open-loop rate from a client in
 *        a separate process (latency from the time each request was due, so a client or server falling behind is
 *        counted); p50/p99 latency (target p99 < 50 ms) and the server's CPU time per release.
 *
 * Env: BENCH_VERIFY_SECONDS (default 5), BENCH_RELEASE_RATE (200/s), BENCH_RELEASE_SECONDS (60), BENCH_RELEASE_CONNECTIONS (64), BENCH_RELEASE_JOBS (200),
 *      BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres; a database is created and dropped; for the
 *      local cluster's Unix socket: postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres).
 */
import { execFileSync, spawn } from 'node:child_process';
import { diffieHellman, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { PerformanceObserver } from 'node:perf_hooks';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimulatedAttester, SnpVerifier, TdxVerifier } from '@confide/attestation';
import { TEE_KEY_CURVE } from '@confide/keybroker';
import { loadConfig, startServer } from '@confide/platform';
import { exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { AttestationModule } from '../../apps/attestation/src/attestation.module.js';
import type { ClientConfig, ClientResult } from './release-client.js';

const VERIFY_SECONDS = Number(process.env.BENCH_VERIFY_SECONDS ?? 5);
const RATE = Number(process.env.BENCH_RELEASE_RATE ?? 200);
const RELEASE_SECONDS = Number(process.env.BENCH_RELEASE_SECONDS ?? 60);
const RELEASE_JOBS = Number(process.env.BENCH_RELEASE_JOBS ?? 200);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FIXTURES = join(process.cwd(), 'test/fixtures/attestation');

function opensslVerifyPerSecond(curve: 'ecdsap256' | 'ecdsap384'): number {
  const out = execFileSync('openssl', ['speed', '-seconds', '3', curve], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  // " 384 bits ecdsa (nistp384)   0.0012s   0.0010s    833.3   1000.0" — the last column is verify/s.
  const line = out.split('\n').find((l) => /bits ecdsa \(nistp(256|384)\)/.test(l));
  const match = line?.trim().split(/\s+/);
  const verify = Number(match?.at(-1));
  if (!Number.isFinite(verify)) throw new Error(`cannot parse openssl speed output:\n${out}`);
  return verify;
}

interface Rate {
  /** Operations per CPU second of this process (user + system). */
  readonly perCpuSecond: number;
  readonly perWallSecond: number;
}

async function rate(work: () => Promise<unknown>): Promise<Rate> {
  await work(); // warm: parses and verifies the chain once, then the verifier's caches serve it
  const end = Date.now() + VERIFY_SECONDS * 1000;
  let n = 0;
  const start = process.hrtime.bigint();
  const cpu0 = process.cpuUsage();
  while (Date.now() < end) {
    await work();
    n++;
  }
  const cpu = process.cpuUsage(cpu0);
  return { perCpuSecond: n / ((cpu.user + cpu.system) / 1e6), perWallSecond: n / (Number(process.hrtime.bigint() - start) / 1e9) };
}

/** Runs the open-loop client in a child process (its own event loop and CPU), bounded in time. */
function runClient(config: ClientConfig): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    // The configuration (with every pre-built request body) goes through a file: it is too large for the environment.
    const configFile = join(mkdtempSync(join(tmpdir(), 'confide-bench-client-')), 'config.json');
    writeFileSync(configFile, JSON.stringify(config), { mode: 0o600 });
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./release-client.js', import.meta.url))], {
      env: { ...process.env, BENCH_CLIENT_CONFIG_FILE: configFile },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), (config.seconds + 60) * 1000);
    child.once('error', reject);
    child.once('exit', (code) => {
      clearTimeout(timer);
      const last = out.trim().split('\n').at(-1) ?? '';
      if (code !== 0 || !last.startsWith('{')) reject(new Error(`release client exited with ${String(code)}`));
      else resolve(JSON.parse(last) as ClientResult);
    });
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

const NAMED_CURVE = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' } as const;

/**
 * The CPU time (ms) of one ECDH-ES key agreement on raw node:crypto — a fresh key pair plus the shared secret — on the
 * node agent's TEE key curve: the floor of what every release must do to encrypt the DEK to the TEE key. Measured in the same process just
 * before and after the release run: the server's CPU per release divided by it is a machine-independent-ish figure
 * (a loaded, shared machine inflates both alike).
 */
function ecdhEsCpuMs(curve: keyof typeof NAMED_CURVE = TEE_KEY_CURVE, iterations = 200): number {
  const namedCurve = NAMED_CURVE[curve];
  const peer = generateKeyPairSync('ec', { namedCurve }).publicKey;
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < iterations; i++) diffieHellman({ privateKey: generateKeyPairSync('ec', { namedCurve }).privateKey, publicKey: peer });
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / iterations;
}

/** Per second of the run (from when the client is started): the server's worst event-loop delay and its GC pauses. */
type ServerLoopSeconds = ReadonlyArray<{ readonly maxDelayMs: number; readonly gcMs: number }>;

/**
 * Watches the server's event loop (it runs in this process) while the client runs: where the client saw slow
 * seconds, this tells a blocked loop or a long GC (the server's doing) from a server that was idle and waiting (the
 * database, or a core taken by another process).
 */
function watchServerLoop(): { stop(): ServerLoopSeconds } {
  const seconds: Array<{ maxDelayMs: number; gcMs: number }> = [];
  const t0 = performance.now();
  const at = (t: number) => (seconds[Math.floor((t - t0) / 1000)] ??= { maxDelayMs: 0, gcMs: 0 });
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) at(e.startTime).gcMs += e.duration;
  });
  gc.observe({ entryTypes: ['gc'] });
  // A 10 ms tick: how late it fires is how long the loop was blocked.
  let due = performance.now() + 10;
  const tick = setInterval(() => {
    const now = performance.now();
    const s = at(now);
    s.maxDelayMs = Math.max(s.maxDelayMs, now - due);
    due = now + 10;
  }, 10);
  return {
    stop() {
      clearInterval(tick);
      gc.disconnect();
      return Array.from(seconds, (s) => s ?? { maxDelayMs: 0, gcMs: 0 });
    },
  };
}

/** The server processes of the benchmark database's connections (the app's pool), for their CPU time. */
async function backendPids(databaseUrl: string): Promise<number[]> {
  const c = new pg.Client({ connectionString: databaseUrl });
  await c.connect();
  try {
    const r = await c.query<{ pid: number }>(
      `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
    );
    return r.rows.map((row) => row.pid);
  } finally {
    await c.end();
  }
}

/** User + system CPU (ms) of these processes from /proc (Linux; 0 elsewhere or for a process that has gone). */
function processCpuMs(pids: readonly number[]): number {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  let ms = 0;
  for (const pid of pids) {
    try {
      // Fields after the parenthesised command: state is 3rd, utime the 14th and stime the 15th of the whole line.
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /s, '').split(' ');
      ms += (Number(fields[11]) + Number(fields[12])) * tick;
    } catch {
      // not Linux, or the backend exited
    }
  }
  return ms;
}

async function releaseLatency(): Promise<
  ClientResult & {
    serverCpuMsPerRelease: number;
    serverSysMsPerRelease: number;
    postgresCpuMsPerRelease: number;
    serverLoop: ServerLoopSeconds;
    ecdhEsMs: number;
    httpFloorMs: number;
    xactsPerRelease: number;
  }
> {
  const dbName = `confide_bench_attest_${process.pid}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'confide-bench-attest-'));
  const port = await freePort();
  const config = loadConfig({ CONFIDE_DATA_DIR: dataDir, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'silent', DATABASE_URL: url.toString() });
  const server = await startServer({ config, modules: [AttestationModule], name: 'bench' });
  try {
    const sa = server.devIssuer!.credentials.serviceAccounts[0]!;
    const tokenRes = await fetch(`${server.devIssuer!.credentials.issuer}/token`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`${sa.clientId}:${sa.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=client_credentials',
    });
    const token = ((await tokenRes.json()) as { access_token: string }).access_token;
    const post = async (path: string, body: unknown): Promise<Record<string, unknown>> => {
      const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const json = (await res.json()) as Record<string, unknown>;
      if (!res.ok) throw new Error(`${path}: ${res.status} ${JSON.stringify(json)}`);
      return json;
    };
    const tenantId = 'acme';
    // The key broker asks the scheduler's lease table. Like production, releases are for many jobs, each leased
    // (epoch 1, live for the whole run) to a node operated by the calling service account and attested once: every
    // release of one job would share-lock the same two rows, a contention no deployment has.
    const nodeId = randomUUID();
    const subject = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string }).sub;
    const jobIds = Array.from({ length: RELEASE_JOBS }, () => randomUUID());
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO scheduler.nodes (id, name, operator_tenant_id, operator_subject, provider, region, gpu_model, gpu_count, gpu_memory_gb, tee_type,
           hourly_price, state, identity_jkt, identity_jwk, reliability, registered_at)
         VALUES ($1, 'bench-node', $2, $3, 'bench', 'eu-west-1', 'H100', 1, 80, 'sev-snp', 1, 'active', 'bench', '{}', 1, now())`,
        [nodeId, tenantId, subject],
      );
      for (const jobId of jobIds) {
        await db.query(
          `INSERT INTO enterprise.fine_tuning_jobs (id, tenant_id, status, phase, trainer, model, training_file, hyperparameters, privacy, placement,
             verification, budget, lease_epoch, leased, result_files, created_by, created_at, updated_at)
           VALUES ($1, $2, 'running', 'training', 'text-classifier', 'bench', $3, '{}', '{}', '{}', '{}', '{}', 1, true, '[]', 'bench', now(), now())`,
          [jobId, tenantId, randomUUID()],
        );
        await db.query(
          `INSERT INTO scheduler.leases (id, job_id, tenant_id, node_id, epoch, state, hourly_price, granted_at, expires_at)
           VALUES ($1, $2, $3, $4, 1, 'active', 1, now(), now() + make_interval(secs => $5))`,
          [randomUUID(), jobId, tenantId, nodeId, RELEASE_SECONDS + 600],
        );
      }
    } finally {
      await db.end();
    }
    const key = await post('/attestation/v1/keys', {
      dataset_id: 'bench-ds',
      release_policy: { allowed_tee_types: ['sev-snp'], allowed_policy_ids: ['dev-simulated'], allow_simulated: true },
    });
    const attester = await SimulatedAttester.loadOrCreate(join(dataDir, 'dev-pki'));
    const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
    const bodies: Array<{ attestation_result: unknown; job_id: string; lease_epoch: number }> = [];
    for (const jobId of jobIds) {
      // One enclave per job: its own TEE key, nonce, evidence and attestation result.
      const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: TEE_KEY_CURVE, extractable: true });
      const { kty, crv, x, y } = await exportJWK(publicKey);
      const jwk = { kty: kty as 'EC', crv: crv as typeof TEE_KEY_CURVE, x: x!, y: y! };
      const { nonce } = (await post('/attestation/v1/challenge', { job_id: jobId, lease_epoch: 1 })) as { nonce: string };
      const e = await attester.compositeEvidence({ nonce: Buffer.from(nonce, 'hex'), teePublicJwk: jwk, gpus: 1 });
      const attested = await post('/attestation/v1/attest', {
        nonce,
        tee_public_jwk: jwk,
        evidence: {
          cpu: { format: e.cpu.format, report: b64(e.cpu.evidence), certs: (e.cpu.certificates ?? []).map(b64) },
          gpus: e.gpus.map((g) => ({ format: g.format, report: b64(g.evidence), certs: g.certificates.map(b64) })),
        },
      });
      bodies.push({ attestation_result: attested.attestation_result, job_id: jobId, lease_epoch: 1 });
    }
    const path = `/attestation/v1/keys/${String(key.id)}/release`;

    // The framework floor in the same run: the same client, rate and connections against GET /health (routing,
    // guard, serialisation, sockets; no auth, no database, no crypto).
    const floorSeconds = Math.min(10, RELEASE_SECONDS);
    const floorCpu0 = process.cpuUsage();
    const floor = await runClient({ url: `${server.url}/health`, token, bodies: null, rate: RATE, seconds: floorSeconds });
    const floorCpu = process.cpuUsage(floorCpu0);
    const httpFloorMs = (floorCpu.user + floorCpu.system) / 1000 / Math.max(1, floor.ok);

    const before = ecdhEsCpuMs();
    // Warm-up right before the run, 16 at a time so that every pool connection is opened and its backend has planned
    // the release's statements (and the JIT has seen them): a server taking 200 releases a second never starts cold.
    for (let i = 0; i < 320; i += 16) await Promise.all(Array.from({ length: 16 }, (_, k) => post(path, bodies[(i + k) % bodies.length])));
    const xacts = async (): Promise<number> => {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        // pg_stat_database counts each autocommit statement and each explicit transaction once.
        const r = await c.query<{ n: string }>('SELECT pg_stat_force_next_flush(), xact_commit + xact_rollback AS n FROM pg_stat_database WHERE datname = current_database()');
        return Number(r.rows[0]?.n ?? 0);
      } finally {
        await c.end();
      }
    };
    const xacts0 = await xacts();
    const backends = await backendPids(url.toString());
    const pg0 = processCpuMs(backends);
    const loop = watchServerLoop();
    const cpu0 = process.cpuUsage();
    const result = await runClient({ url: `${server.url}${path}`, token, bodies, rate: RATE, seconds: RELEASE_SECONDS });
    const cpu = process.cpuUsage(cpu0);
    const serverLoop = loop.stop();
    const postgresMs = processCpuMs(backends) - pg0;
    const ecdhEsMs = (before + ecdhEsCpuMs()) / 2;
    await new Promise((r) => setTimeout(r, 1000)); // the statistics collector's flush interval
    const xactsPerRelease = ((await xacts()) - xacts0 - 1) / Math.max(1, result.ok);
    const n = Math.max(1, result.ok); // per completed release (requests the client gave up on may never have reached the server)
    return {
      ...result,
      serverCpuMsPerRelease: (cpu.user + cpu.system) / 1000 / n,
      serverSysMsPerRelease: cpu.system / 1000 / n,
      postgresCpuMsPerRelease: postgresMs / n,
      serverLoop,
      ecdhEsMs,
      httpFloorMs,
      xactsPerRelease,
    };
  } finally {
    await server.close();
    const c = new pg.Client({ connectionString: ADMIN_URL });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await c.end();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const p384 = opensslVerifyPerSecond('ecdsap384');
  const p256 = opensslVerifyPerSecond('ecdsap256');

  const snp = new SnpVerifier();
  const snpReport = readFileSync(join(FIXTURES, 'snp-milan-virtee-report.bin'));
  const vcek = readFileSync(join(FIXTURES, 'snp-milan-virtee-vcek.der'));
  const snpRate = await rate(() => snp.verify(snpReport, { at: new Date('2026-01-01T00:00:00Z'), certificates: [vcek] }));

  const tdx = new TdxVerifier({ requireCollateral: false });
  const quote = readFileSync(join(FIXTURES, 'tdx/tdx-v4-spr-gotdxguest-quote.bin'));
  const tdxRate = await rate(() => tdx.verify(quote, { at: new Date('2023-07-01T00:00:00Z') }));

  const fmt = (r: Rate): string => `${r.perCpuSecond.toFixed(0).padStart(8)} /cpu-s (${r.perWallSecond.toFixed(0)} /s wall)`;
  console.log(`attestation verification, one core (chain cached after the first call); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  openssl ecdsap384 verify  ${p384.toFixed(0).padStart(8)} /cpu-s`);
  console.log(`  SNP report (P-384)      ${fmt(snpRate)}   ratio ${(snpRate.perCpuSecond / p384).toFixed(2)} (target >= 0.70)`);
  console.log(`  openssl ecdsap256 verify  ${p256.toFixed(0).padStart(8)} /cpu-s`);
  console.log(`  TDX quote (P-256)       ${fmt(tdxRate)}   ratio ${(tdxRate.perCpuSecond / p256).toFixed(2)} (target >= 0.35)`);

  const r = await releaseLatency();
  const transport = new URL(ADMIN_URL).hostname.startsWith('%2F') ? 'Unix socket' : `TCP ${new URL(ADMIN_URL).hostname}`;
  console.log(`key release on Postgres (${transport}), ${RATE} req/s open loop for ${RELEASE_SECONDS} s (HTTP on 127.0.0.1, client in a separate process); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  completed ${r.ok}, failed ${r.failed}, achieved ${r.achieved.toFixed(1)} req/s, server CPU ${r.serverCpuMsPerRelease.toFixed(2)} ms per completed release (of which system ${r.serverSysMsPerRelease.toFixed(2)})`);
  console.log(
    `  = ${(r.serverCpuMsPerRelease / r.ecdhEsMs).toFixed(2)} x one raw ${TEE_KEY_CURVE} ECDH-ES (key pair + agreement, ${r.ecdhEsMs.toFixed(2)} ms CPU in this run; every release does one; on P-384 it would be ${ecdhEsCpuMs('P-384').toFixed(2)} ms)`,
  );
  console.log(
    `  Postgres transactions per release (autocommit statements count one each; includes the audit integrator): ${r.xactsPerRelease.toFixed(2)}; CPU of the pool's Postgres backends ${r.postgresCpuMsPerRelease.toFixed(2)} ms per release`,
  );
  console.log(`  HTTP floor: GET /health at the same rate from the same client costs ${r.httpFloorMs.toFixed(2)} ms server CPU per request`);
  console.log(`  p50 ${r.p50.toFixed(1)} ms   p99 ${r.p99.toFixed(1)} ms (target < 50)   max ${r.max.toFixed(1)} ms   (client CPU ${r.clientCpuMsPerRequest.toFixed(2)} ms per request)`);
  const loopAt = (second: number): string => {
    const l = r.serverLoop[second];
    return l ? ` (server loop blocked up to ${l.maxDelayMs.toFixed(0)} ms, GC ${l.gcMs.toFixed(0)} ms)` : '';
  };
  const worst = r.worstSeconds.map((w) => `second ${w.second}: ${w.over50ms} over 50 ms, max ${w.maxMs} ms${loopAt(w.second)}`).join('; ');
  const delays = r.serverLoop.map((l) => l.maxDelayMs).sort((a, b) => a - b);
  console.log(
    `  server event loop, worst delay per second: median ${(delays[Math.floor(delays.length / 2)] ?? 0).toFixed(1)} ms, max ${(delays.at(-1) ?? 0).toFixed(1)} ms; GC ${r.serverLoop.reduce((a, l) => a + l.gcMs, 0).toFixed(0)} ms in all`,
  );
  console.log(`  worst seconds of the run: ${worst || 'none had a request over 50 ms'}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
