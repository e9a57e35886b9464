/**
 * Attestation verification rates and key-release latency, next to the machine's raw ECDSA verify rates measured
 * in the same run.
 *
 *   openssl speed ecdsap384 / ecdsap256 (one core): the physical limit for one P-384 / P-256 signature verify
 *   SNP: SnpVerifier on a real Milan report (virtee) with its VCEK, certificate chain cached after the first call
 *        (one P-384 verify per report) — target >= 0.7 x openssl P-384 verify/s
 *   TDX: TdxVerifier on a real SPR v4 quote (go-tdx-guest), chain cached (two P-256 verifies per quote: quote and QE
 *        report) — target >= 0.35 x openssl P-256 verify/s
 *   release: the real attestation service + key broker on a fresh Postgres database (127.0.0.1), a simulated node's
 *        attestation result, then POST /attestation/v1/keys/{id}/release at a fixed open-loop rate; p50/p99 latency
 *        (target p99 < 50 ms). Client and server share this process (one event loop), which only adds to latency.
 *
 * Env: BENCH_VERIFY_SECONDS (default 5), BENCH_RELEASE_RATE (200/s), BENCH_RELEASE_SECONDS (60),
 *      BENCH_DATABASE_URL (postgres://postgres@127.0.0.1:5432/postgres; a database is created and dropped).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SimulatedAttester, SnpVerifier, TdxVerifier } from '@confide/attestation';
import { LEASE_AUTHORITY, type InMemoryLeaseAuthority } from '@confide/keybroker';
import { loadConfig, startServer } from '@confide/platform';
import { exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { AttestationModule } from '../../apps/attestation/src/attestation.module.js';

const VERIFY_SECONDS = Number(process.env.BENCH_VERIFY_SECONDS ?? 5);
const RATE = Number(process.env.BENCH_RELEASE_RATE ?? 200);
const RELEASE_SECONDS = Number(process.env.BENCH_RELEASE_SECONDS ?? 60);
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

async function rate(work: () => Promise<unknown>): Promise<number> {
  await work(); // warm: parses and verifies the chain once, then the verifier's link cache serves it
  const end = Date.now() + VERIFY_SECONDS * 1000;
  let n = 0;
  const start = process.hrtime.bigint();
  while (Date.now() < end) {
    await work();
    n++;
  }
  return n / (Number(process.hrtime.bigint() - start) / 1e9);
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

async function releaseLatency(): Promise<{ p50: number; p99: number; max: number; ok: number; failed: number; achieved: number }> {
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
    server.app.get<InMemoryLeaseAuthority>(LEASE_AUTHORITY).grant({ tenantId, jobId: 'bench-job', epoch: 1 });
    const key = await post('/attestation/v1/keys', {
      dataset_id: 'bench-ds',
      release_policy: { allowed_tee_types: ['sev-snp'], allowed_policy_ids: ['dev-simulated'], allow_simulated: true },
    });
    const attester = await SimulatedAttester.loadOrCreate(join(dataDir, 'dev-pki'));
    const { publicKey } = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true });
    const { kty, crv, x, y } = await exportJWK(publicKey);
    const jwk = { kty: kty as 'EC', crv: crv as 'P-384', x: x!, y: y! };
    const { nonce } = (await post('/attestation/v1/challenge', { job_id: 'bench-job', lease_epoch: 1 })) as { nonce: string };
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
    const body = { attestation_result: attested.attestation_result, job_id: 'bench-job', lease_epoch: 1 };
    const path = `/attestation/v1/keys/${String(key.id)}/release`;
    for (let i = 0; i < 50; i++) await post(path, body); // warm-up (JIT, pool connections)

    const latencies: number[] = [];
    let failed = 0;
    const total = RATE * RELEASE_SECONDS;
    const interval = 1000 / RATE;
    const start = performance.now();
    const inflight: Promise<void>[] = [];
    for (let i = 0; i < total; i++) {
      // Open loop: request i is due at start + i * interval whether or not earlier ones finished.
      const due = start + i * interval;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      inflight.push(
        (async () => {
          try {
            await post(path, body);
            // Measured from when the request was due, so a client falling behind counts (no coordinated omission).
            latencies.push(performance.now() - due);
          } catch (error) {
            if (failed++ === 0) console.error('first failed release:', error instanceof Error ? error.message : error);
          }
        })(),
      );
    }
    await Promise.all(inflight);
    const elapsed = (performance.now() - start) / 1000;
    latencies.sort((a, b) => a - b);
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN, ok: latencies.length, failed, achieved: latencies.length / elapsed };
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

  console.log('attestation verification, one core (chain cached after the first call)');
  console.log(`  openssl ecdsap384 verify  ${p384.toFixed(0).padStart(8)} /s`);
  console.log(`  SNP report (P-384)        ${snpRate.toFixed(0).padStart(8)} /s   ratio ${(snpRate / p384).toFixed(2)} (target >= 0.70)`);
  console.log(`  openssl ecdsap256 verify  ${p256.toFixed(0).padStart(8)} /s`);
  console.log(`  TDX quote (2 x P-256)     ${tdxRate.toFixed(0).padStart(8)} /s   ratio ${(tdxRate / p256).toFixed(2)} (target >= 0.35)`);

  const r = await releaseLatency();
  console.log(`key release on Postgres, ${RATE} req/s open loop for ${RELEASE_SECONDS} s (127.0.0.1, client in-process)`);
  console.log(`  completed ${r.ok}, failed ${r.failed}, achieved ${r.achieved.toFixed(1)} req/s`);
  console.log(`  p50 ${r.p50.toFixed(1)} ms   p99 ${r.p99.toFixed(1)} ms (target < 50)   max ${r.max.toFixed(1)} ms`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
