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
 * Env: BENCH_VERIFY_SECONDS (default 5), BENCH_RELEASE_RATE (200/s), BENCH_RELEASE_SECONDS (60), BENCH_RELEASE_CONNECTIONS (64),
 *      BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres; a database is created and dropped).
 */
import { execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SimulatedAttester, SnpVerifier, TdxVerifier } from '@confide/attestation';
import { loadConfig, startServer } from '@confide/platform';
import { exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { AttestationModule } from '../../apps/attestation/src/attestation.module.js';

const VERIFY_SECONDS = Number(process.env.BENCH_VERIFY_SECONDS ?? 5);
const RATE = Number(process.env.BENCH_RELEASE_RATE ?? 200);
const RELEASE_SECONDS = Number(process.env.BENCH_RELEASE_SECONDS ?? 60);
const CLIENT_CONNECTIONS = Number(process.env.BENCH_RELEASE_CONNECTIONS ?? 64);
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

interface ClientConfig {
  readonly url: string;
  readonly token: string;
  readonly body: unknown;
  readonly rate: number;
  readonly seconds: number;
}
interface ClientResult {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly ok: number;
  readonly failed: number;
  readonly achieved: number;
  /** The client process's own CPU per request sent (it shares the machine with the server). */
  readonly clientCpuMsPerRequest: number;
}

/** Runs the open-loop client in a child process (its own event loop and CPU), bounded in time. */
function runClient(config: ClientConfig): Promise<ClientResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--release-client'], {
      env: { ...process.env, BENCH_CLIENT_CONFIG: JSON.stringify(config) },
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

/**
 * One keep-alive HTTP/1.1 connection that sends pre-built request bytes and reads just enough of each response
 * (status line, Content-Length, body) to know it is complete: the client's own CPU per request stays far below the
 * server's, so on a 2-core machine it does not take the cores it is measuring.
 */
class RawConnection {
  private readonly socket: Socket;
  private buffered: Buffer = Buffer.alloc(0);
  private pending: { resolve: (status: number) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;

  constructor(host: string, port: number) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (chunk: Buffer) => this.onData(chunk));
    const fail = (error: Error): void => {
      this.failure ??= error;
      this.pending?.reject(error);
      this.pending = undefined;
    };
    this.socket.once('error', fail);
    this.socket.once('close', () => fail(new Error('connection closed by the server')));
  }

  get broken(): boolean {
    return this.failure !== undefined;
  }

  /** Sends one request; a response not complete within `timeoutMs` breaks the connection (it is not reused). */
  send(request: Buffer, timeoutMs: number): Promise<number> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.socket.destroy(new Error(`request timed out after ${timeoutMs / 1000} s`)), timeoutMs);
      this.pending = {
        resolve: (status) => {
          clearTimeout(timer);
          resolve(status);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      this.socket.write(request);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const headerEnd = this.buffered.indexOf('\r\n\r\n');
    if (headerEnd < 0) return;
    const head = this.buffered.toString('latin1', 0, headerEnd);
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (!length) {
      this.socket.destroy(new Error(`response without Content-Length: ${head.split('\r\n')[0] ?? ''}`));
      return;
    }
    const total = headerEnd + 4 + Number(length[1]);
    if (this.buffered.length < total) return;
    this.buffered = this.buffered.subarray(total);
    const pending = this.pending;
    this.pending = undefined;
    pending?.resolve(Number(head.slice(9, 12)));
  }
}

/** The child: request i is due at start + i / rate whether or not earlier ones finished (open loop). */
async function releaseClient(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_CLIENT_CONFIG ?? '{}') as ClientConfig;
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(config.url)) throw new Error('the release client only talks to 127.0.0.1');
  const target = new URL(config.url);
  // Every request is the same bytes: built once.
  const payload = Buffer.from(JSON.stringify(config.body));
  const request = Buffer.concat([
    Buffer.from(
      `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\nauthorization: Bearer ${config.token}\r\n` +
        `content-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`,
      'latin1',
    ),
    payload,
  ]);
  // At most CLIENT_CONNECTIONS keep-alive connections, like a real client pool: requests beyond that wait in the
  // client, and that wait counts in their latency (measured from the due time) instead of a connect storm.
  const idle: RawConnection[] = [];
  const all: RawConnection[] = [];
  const waiting: Array<(c: RawConnection) => void> = [];
  const acquire = (): Promise<RawConnection> => {
    const c = idle.pop();
    if (c) return Promise.resolve(c);
    if (all.length < CLIENT_CONNECTIONS) {
      const fresh = new RawConnection(target.hostname, Number(target.port));
      all.push(fresh);
      return Promise.resolve(fresh);
    }
    return new Promise((resolve) => waiting.push(resolve));
  };
  const releaseConnection = (c: RawConnection): void => {
    if (c.broken) {
      all.splice(all.indexOf(c), 1);
      c.close();
      const next = waiting.shift();
      if (next) void acquire().then(next);
      return;
    }
    const next = waiting.shift();
    if (next) next(c);
    else idle.push(c);
  };
  const postOnce = async (): Promise<number> => {
    const c = await acquire();
    try {
      return await c.send(request, 30_000);
    } finally {
      releaseConnection(c);
    }
  };
  const latencies: number[] = [];
  let failed = 0;
  const total = Math.round(config.rate * config.seconds);
  const interval = 1000 / config.rate;
  const inflight: Promise<void>[] = [];
  const cpu0 = process.cpuUsage();
  const start = performance.now();
  for (let i = 0; i < total; i++) {
    const due = start + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(
      (async () => {
        try {
          const status = await postOnce();
          if (status < 200 || status > 299) throw new Error(`HTTP ${status}`);
          // From when the request was due, so falling behind counts (no coordinated omission).
          latencies.push(performance.now() - due);
        } catch (error) {
          if (failed++ === 0) console.error('first failed release:', error instanceof Error ? error.message : error);
        }
      })(),
    );
  }
  // Bounded in time: whatever has not completed 30 s after the last request was due counts as failed.
  const deadline = start + (config.seconds + 30) * 1000;
  let timer: NodeJS.Timeout | undefined;
  const settled = await Promise.race([
    Promise.all(inflight).then(() => true),
    new Promise<boolean>((r) => (timer = setTimeout(() => r(false), Math.max(0, deadline - performance.now())))),
  ]);
  clearTimeout(timer);
  if (!settled) failed = total - latencies.length;
  for (const c of all) c.close();
  const elapsed = (performance.now() - start) / 1000;
  const cpu = process.cpuUsage(cpu0);
  latencies.sort((a, b) => a - b);
  const result: ClientResult = {
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    ok: latencies.length,
    failed,
    achieved: latencies.length / elapsed,
    clientCpuMsPerRequest: (cpu.user + cpu.system) / 1000 / Math.max(1, total),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
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

async function releaseLatency(): Promise<ClientResult & { serverCpuMsPerRelease: number; serverSysMsPerRelease: number }> {
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
    // The key broker asks the scheduler's lease table: one running job leased (epoch 1, live for the whole run) to a
    // node operated by the calling service account.
    const jobId = randomUUID();
    const nodeId = randomUUID();
    const subject = (JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { sub: string }).sub;
    const db = new pg.Client({ connectionString: url.toString() });
    await db.connect();
    try {
      await db.query(
        `INSERT INTO enterprise.fine_tuning_jobs (id, tenant_id, status, phase, trainer, model, training_file, hyperparameters, privacy, placement,
           verification, budget, lease_epoch, leased, result_files, created_by, created_at, updated_at)
         VALUES ($1, $2, 'running', 'training', 'text-classifier', 'bench', $3, '{}', '{}', '{}', '{}', '{}', 1, true, '[]', 'bench', now(), now())`,
        [jobId, tenantId, randomUUID()],
      );
      await db.query(
        `INSERT INTO scheduler.nodes (id, name, operator_tenant_id, operator_subject, provider, region, gpu_model, gpu_count, gpu_memory_gb, tee_type,
           hourly_price, state, identity_jkt, identity_jwk, reliability, registered_at)
         VALUES ($1, 'bench-node', $2, $3, 'bench', 'eu-west-1', 'H100', 1, 80, 'sev-snp', 1, 'active', 'bench', '{}', 1, now())`,
        [nodeId, tenantId, subject],
      );
      await db.query(
        `INSERT INTO scheduler.leases (id, job_id, tenant_id, node_id, epoch, state, hourly_price, granted_at, expires_at)
         VALUES ($1, $2, $3, $4, 1, 'active', 1, now(), now() + make_interval(secs => $5))`,
        [randomUUID(), jobId, tenantId, nodeId, RELEASE_SECONDS + 600],
      );
    } finally {
      await db.end();
    }
    const key = await post('/attestation/v1/keys', {
      dataset_id: 'bench-ds',
      release_policy: { allowed_tee_types: ['sev-snp'], allowed_policy_ids: ['dev-simulated'], allow_simulated: true },
    });
    const attester = await SimulatedAttester.loadOrCreate(join(dataDir, 'dev-pki'));
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true });
    const { kty, crv, x, y } = await exportJWK(publicKey);
    const jwk = { kty: kty as 'EC', crv: crv as 'P-384', x: x!, y: y! };
    const { nonce } = (await post('/attestation/v1/challenge', { job_id: jobId, lease_epoch: 1 })) as { nonce: string };
    const e = await attester.compositeEvidence({ nonce: Buffer.from(nonce, 'hex'), teePublicJwk: jwk, gpus: 1 });
    const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
    const attested = await post('/attestation/v1/attest', {
      nonce,
      tee_public_jwk: jwk,
      evidence: {
        cpu: { format: e.cpu.format, report: b64(e.cpu.evidence), certs: (e.cpu.certificates ?? []).map(b64) },
        gpus: e.gpus.map((g) => ({ format: g.format, report: b64(g.evidence), certs: g.certificates.map(b64) })),
      },
    });
    const body = { attestation_result: attested.attestation_result, job_id: jobId, lease_epoch: 1 };
    const path = `/attestation/v1/keys/${String(key.id)}/release`;
    for (let i = 0; i < 50; i++) await post(path, body); // warm-up (JIT, pool connections)

    const cpu0 = process.cpuUsage();
    const result = await runClient({ url: `${server.url}${path}`, token, body, rate: RATE, seconds: RELEASE_SECONDS });
    const cpu = process.cpuUsage(cpu0);
    const n = Math.max(1, result.ok); // per completed release (requests the client gave up on may never have reached the server)
    return { ...result, serverCpuMsPerRelease: (cpu.user + cpu.system) / 1000 / n, serverSysMsPerRelease: cpu.system / 1000 / n };
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
  console.log(`key release on Postgres, ${RATE} req/s open loop for ${RELEASE_SECONDS} s (127.0.0.1, client in a separate process); load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`  completed ${r.ok}, failed ${r.failed}, achieved ${r.achieved.toFixed(1)} req/s, server CPU ${r.serverCpuMsPerRelease.toFixed(2)} ms per completed release (of which system ${r.serverSysMsPerRelease.toFixed(2)})`);
  console.log(`  p50 ${r.p50.toFixed(1)} ms   p99 ${r.p99.toFixed(1)} ms (target < 50)   max ${r.max.toFixed(1)} ms   (client CPU ${r.clientCpuMsPerRequest.toFixed(2)} ms per request)`);
}

(process.argv[2] === '--release-client' ? releaseClient() : main()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
