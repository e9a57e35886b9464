/**
 * Datasets bench. 1) End-to-end PII pipeline MB/s on one core (split + decode + parse + validate + scan + protect +
 * report), the scan alone (parse + scan + report, PiiScanner), both also per CPU second, next to a JSON.parse-only
 * pass over the same bytes (the floor any JSONL pipeline pays): one cold pass of each, then BENCH_SCAN_ROUNDS (3) warm
 * ones, median and spread printed. 2) Peak RSS of the
 * real server, run as a separate process on a fresh Postgres database, while an N MiB generated JSONL file is streamed
 * to POST /v1/datasets (BENCH_UPLOAD_MB, default 1024; 0 skips it).
 *   npm run bench:datasets                                   (32 MiB scan + 1 GiB upload)
 *   BENCH_QUICK=1 npm run bench:datasets                     (8 MiB scan + 64 MiB upload)
 *   env: BENCH_SCAN_MB, BENCH_UPLOAD_MB, BENCH_UPLOAD_MODE (stream | resumable | both), BENCH_UPLOAD_TIMEOUT_S (default 1200), BENCH_DATABASE_URL (admin URL),
 *        BENCH_SERVER_NODE_FLAGS (node flags for the server process instead of those of `npm run start:<app>`),
 *        BENCH_SERVER_APP (enterprise, the default: the app that takes uploads in a deployment; or server, the
 *        all-in-one process with the scheduler, attestation and the embedded simulated nodes as well)
 */
import { randomBytes } from 'node:crypto';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildProtectionPolicy, DatasetProcessor } from '@confide/datasets';
import { PiiAnalyzer, PiiScanner } from '@confide/pii';
import pg from 'pg';

const NAMES = ['Maria Gonzalez', 'John Smith', 'Aisha Khan', 'Pierre Dubois', 'Lena Fischer', 'Kenji Tanaka'];
const FILLER = 'Could you help me understand the fees on my last statement and whether the transfer went through as planned yesterday afternoon?';

function record(i: number): string {
  const n = NAMES[i % NAMES.length]!;
  // Every phone number differs (exchange and line from the record index): the scanner keeps verdicts and tokens of
  // values it has seen, and a generator cycling through a few thousand numbers would measure those caches.
  const phone = `+1 415-${200 + (Math.floor(i / 9000) % 800)}-${1000 + (i % 9000)}`;
  const user = i % 4 === 0 ? `Hi, I am ${n}. Mail ${n.split(' ')[0]!.toLowerCase()}${i}@example.com or call ${phone}. ${FILLER}` : `${FILLER} Ticket ${i}.`;
  return JSON.stringify({ messages: [{ role: 'system', content: 'You are a helpful bank assistant.' }, { role: 'user', content: user }, { role: 'assistant', content: `Thanks, I have looked at ticket ${i}. ${FILLER}` }] });
}

function* generate(bytes: number, chunk = 1 << 20): Generator<Buffer> {
  let sent = 0;
  let i = 0;
  let lines: string[] = [];
  let size = 0;
  while (sent < bytes) {
    const l = record(i++) + '\n';
    lines.push(l);
    size += l.length;
    if (size >= chunk) {
      const b = Buffer.from(lines.join(''));
      sent += b.length;
      yield b;
      lines = [];
      size = 0;
    }
  }
  if (lines.length) yield Buffer.from(lines.join(''));
}

async function scanBench(mb: number): Promise<void> {
  const chunks = [...generate(mb * 1024 * 1024)];
  const bytes = chunks.reduce((a, c) => a + c.length, 0);
  const MiB = bytes / 1048576;
  const t = performance.now();
  let parsed = 0;
  for (const c of chunks) for (const l of c.toString('utf8').split('\n')) if (l) parsed += (JSON.parse(l) as object) ? 1 : 0;
  const floor = MiB / ((performance.now() - t) / 1000);
  // CPU time of this process: on a shared machine wall time also counts the time other processes hold the core.
  const cpuSeconds = (since: NodeJS.CpuUsage): number => {
    const cpu = process.cpuUsage(since);
    return (cpu.user + cpu.system) / 1e6;
  };
  // Every pass has a fresh analyzer and protector (no verdict, token or field reuse across passes; the immutable
  // name and word lists are shared, as in the server). The first pass of each runs on a cold JIT: V8 compiles the
  // detectors' functions and tiers their regular expressions up while it runs, so it shows what a small upload gets;
  // the passes after it show the rate a large upload runs at, most of which is spent warm.
  const rounds = Math.max(1, Number(process.env.BENCH_SCAN_ROUNDS ?? 3));
  const pipelinePass = async (): Promise<{ rate: number; wall: number; out: number; p: DatasetProcessor }> => {
    const p = new DatasetProcessor({ format: 'jsonl', policy: buildProtectionPolicy(), secret: randomBytes(32), analyzer: new PiiAnalyzer(), canaries: 3 });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    let out = 0;
    for await (const c of p.process(chunks)) out += c.length;
    return { rate: MiB / cpuSeconds(cpu0), wall: MiB / ((performance.now() - t0) / 1000), out, p };
  };
  const scanPass = async (): Promise<{ rate: number; wall: number; records: number }> => {
    // The scan alone, as the issue names it (parse + scan + report, no protection, no re-serialising).
    const scanner = new PiiScanner({ format: 'jsonl', hashKey: randomBytes(32), analyzer: new PiiAnalyzer() });
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const scanned = await scanner.scan(chunks);
    return { rate: MiB / cpuSeconds(cpu0), wall: MiB / ((performance.now() - t0) / 1000), records: scanned.records };
  };
  const cold = { pipeline: await pipelinePass(), scan: await scanPass() };
  const warm: { pipeline: Awaited<ReturnType<typeof pipelinePass>>[]; scan: Awaited<ReturnType<typeof scanPass>>[] } = { pipeline: [], scan: [] };
  for (let r = 0; r < rounds; r++) {
    warm.pipeline.push(await pipelinePass());
    warm.scan.push(await scanPass());
  }
  const median = (xs: readonly number[]): number => {
    const v = [...xs].sort((a, b) => a - b);
    return v.length % 2 ? v[(v.length - 1) / 2]! : (v[v.length / 2 - 1]! + v[v.length / 2]!) / 2;
  };
  const line = (passes: readonly { rate: number; wall: number }[]): string =>
    `median ${median(passes.map((x) => x.rate)).toFixed(1)} MiB per CPU second (user+sys) = ${((median(passes.map((x) => x.rate)) * 1048576) / 1e6).toFixed(1)} MB/CPU-s, ` +
    `min ${Math.min(...passes.map((x) => x.rate)).toFixed(1)}, max ${Math.max(...passes.map((x) => x.rate)).toFixed(1)} over ${passes.length} warm passes; ${median(passes.map((x) => x.wall)).toFixed(1)} MiB/s wall`;
  const load = loadavg().map((l) => l.toFixed(1)).join(' ');
  const last = warm.pipeline[warm.pipeline.length - 1]!;
  console.log(`pipeline: ${MiB.toFixed(1)} MiB, ${last.p.report.validRecords} records (${parsed} parsed in the floor pass), ${last.p.pii.fields.length} field/entity rows, ${last.out} bytes out; load average ${load}`);
  console.log(`  scan (parse+scan+report, PiiScanner, ${cold.scan.records} records): ${line(warm.scan)}  (target >= 20 MB/s)`);
  console.log(`    first pass, cold JIT: ${cold.scan.rate.toFixed(1)} MiB per CPU second`);
  console.log(`  with protection (split+parse+validate+scan+protect+report, DatasetProcessor): ${line(warm.pipeline)}`);
  console.log(`    first pass, cold JIT: ${cold.pipeline.rate.toFixed(1)} MiB per CPU second`);
  console.log(`  JSON.parse-only floor on the same bytes: ${floor.toFixed(1)} MiB/s  -> scan is ${(median(warm.scan.map((x) => x.wall)) / floor).toFixed(3)}x of it, with protection ${(median(warm.pipeline.map((x) => x.wall)) / floor).toFixed(3)}x`);
}

/** VmRSS and VmHWM of a process, in bytes, from /proc/<pid>/status (undefined once it is gone). */
function procMemory(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(status.match(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm'))?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

async function freePort(): Promise<number> {
  const { createServer } = await import('node:net');
  return new Promise<number>((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const a = srv.address();
      srv.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}


/** POST /v1/datasets with a chunked body: node:http with pipeline() pulls the generator only as fast as the socket drains. */
function sendStream(url: string, token: string, mb: number, timeoutMs: number, onSent: (n: number) => void): Promise<{ status: number; text: string }> {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = request(
      `${url}/v1/datasets?filename=bench.jsonl`,
      {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/jsonl', 'transfer-encoding': 'chunked' },
        timeout: timeoutMs,
      },
      (r) => {
        let text = '';
        r.setEncoding('utf8');
        r.on('data', (c: string) => (text += c));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, text }));
        r.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('upload timed out')));
    req.on('error', reject);
    pipeline(
      Readable.from(
        (function* () {
          for (const b of generate(mb * 1024 * 1024)) {
            onSent(b.length);
            yield b;
          }
        })(),
      ),
      req,
    ).catch(reject);
  });
}

/** The console's and the CLI's chunk size. */
const RESUMABLE_CHUNK = 8 * 1024 * 1024;

/**
 * The resumable path the CLI and the console take: POST /v1/uploads with the declared size, PATCH 8 MiB chunks at
 * Upload-Offset (each staged sealed), and the last chunk's answer is the processed dataset.
 */
async function sendResumable(url: string, token: string, mb: number, timeoutMs: number, onSent: (n: number) => void): Promise<{ status: number; text: string }> {
  let bytes = 0;
  for (const b of generate(mb * 1024 * 1024)) bytes += b.length;
  const auth = { authorization: `Bearer ${token}` };
  const created = await fetch(`${url}/v1/uploads`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ bytes, filename: 'bench.jsonl' }) });
  if (created.status !== 201) return { status: created.status, text: await created.text() };
  const { id } = (await created.json()) as { id: string };
  let offset = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  let last: { status: number; text: string } = { status: 0, text: '{}' };
  const flush = async (): Promise<void> => {
    const body = Buffer.concat(pending);
    pending = [];
    pendingBytes = 0;
    const r = await fetch(`${url}/v1/uploads/${id}`, {
      method: 'PATCH',
      headers: { ...auth, 'content-type': 'application/offset+octet-stream', 'upload-offset': String(offset) },
      body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    last = { status: r.status, text: await r.text() };
    if (r.status !== 200 && r.status !== 201) throw new Error(`PATCH at ${offset}: ${r.status} ${last.text}`);
    offset += body.length;
    onSent(body.length);
  };
  for (const b of generate(mb * 1024 * 1024)) {
    for (let at = 0; at < b.length; ) {
      const take = Math.min(b.length - at, RESUMABLE_CHUNK - pendingBytes);
      pending.push(b.subarray(at, at + take));
      pendingBytes += take;
      at += take;
      if (pendingBytes === RESUMABLE_CHUNK) await flush();
    }
  }
  if (pendingBytes > 0) await flush();
  // The completing chunk answers with the dataset (201): { dataset: {...} }.
  const done = JSON.parse(last.text) as { dataset?: unknown };
  return { status: last.status, text: JSON.stringify(done.dataset ?? done) };
}

/**
 * The real server as a separate process (the production entry on the compiled tree, a fresh Postgres database, a
 * temporary data dir), an N MiB JSONL file generated on the fly and streamed to POST /v1/datasets from this process,
 * and the server's VmRSS / VmHWM sampled every 100 ms: the upload's memory, not this process's.
 */
async function uploadBench(mb: number, mode: 'stream' | 'resumable'): Promise<void> {
  const adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
  const dbName = `confide_bench_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${dbName}`);
  await admin.end();
  const dbUrl = new URL(adminUrl);
  dbUrl.pathname = `/${dbName}`;
  const dir = mkdtempSync(join(tmpdir(), 'confide-bench-'));
  const port = await freePort();
  const app = process.env.BENCH_SERVER_APP === 'server' ? 'server' : 'enterprise';
  const entry = `dist/apps/${app}/src/main.js`;
  // BENCH_SERVER_NODE_FLAGS: extra node flags for the server process (e.g. --max-semi-space-size=4), printed with the result.
  // Node flags: those `npm run start:<app>` passes (package.json), so the bench measures the server as it is started;
  // BENCH_SERVER_NODE_FLAGS replaces them.
  const scripts = (JSON.parse(readFileSync('package.json', 'utf8')) as { scripts: Record<string, string> }).scripts;
  // The script's environment assignments before `node` (MALLOC_ARENA_MAX) go to the server process too.
  const start = (scripts[app === 'server' ? 'start' : `start:${app}`] ?? '').match(/&& ((?:[A-Z_]+=\S+ )*)node ((?:--[\w-]+=\S+ )*)--import/);
  const startEnv = Object.fromEntries((start?.[1] ?? '').split(' ').filter((a) => a.includes('=')).map((a) => [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]));
  const serverNodeFlags = (process.env.BENCH_SERVER_NODE_FLAGS ?? start?.[2] ?? '').split(' ').filter((f) => f.startsWith('--'));
  const timeoutMs = Number(process.env.BENCH_UPLOAD_TIMEOUT_S ?? 1200) * 1000;
  const child = spawn(
    process.execPath,
    [...serverNodeFlags, '--import', './dist/libs/platform/src/register-aliases.js', entry],
    {
      env: {
        ...startEnv,
        ...process.env,
        CONFIDE_DATA_DIR: dir,
        DATABASE_URL: dbUrl.toString(),
        PORT: String(port),
        LOG_LEVEL: 'warn',
        CONFIDE_MAX_UPLOAD_BYTES: String(Math.max(2 * mb * 1048576, 1 << 30)),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  // BENCH_SERVER_STDERR=1 passes the server's stdout and stderr through to stderr (e.g. with BENCH_SERVER_NODE_FLAGS=--trace-gc).
  const passStderr = process.env.BENCH_SERVER_STDERR === '1';
  child.stderr.on('data', (d: Buffer) => {
    if (passStderr) process.stderr.write(d);
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const stopChild = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      const timer = setTimeout(() => reject(new Error(`server did not start in 120 s:\n${stderr}`)), 120_000);
      child.stdout.on('data', (d: Buffer) => {
        if (passStderr) process.stderr.write(d);
        out += d.toString();
        const m = out.match(/is ready at (\S+)/);
        if (m?.[1]) {
          clearTimeout(timer);
          resolve(m[1]);
        }
      });
      child.once('exit', (code) => reject(new Error(`server exited (${code}) before it was ready:\n${stderr}`)));
    });
    const creds = JSON.parse(readFileSync(join(dir, 'keys', 'dev-credentials.json'), 'utf8')) as {
      issuer: string;
      serviceAccounts: { clientId: string; clientSecret: string }[];
    };
    const sa = creds.serviceAccounts[0]!;
    const tok = (await (
      await fetch(`${creds.issuer}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${sa.clientId}:${sa.clientSecret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials',
      })
    ).json()) as { access_token: string };

    // Let the freshly started server settle (JIT, pools) before the baseline.
    await new Promise((r) => setTimeout(r, 2000));
    const pid = child.pid!;
    const baseline = procMemory(pid)!;
    let peak = baseline.rss;
    let samples = 0;
    const sampler = setInterval(() => {
      const m = procMemory(pid);
      if (m) {
        peak = Math.max(peak, m.rss);
        samples += 1;
      }
    }, 100);
    let sent = 0;
    const t = performance.now();
    const res = mode === 'resumable' ? await sendResumable(url, tok.access_token, mb, timeoutMs, (n) => (sent += n)) : await sendStream(url, tok.access_token, mb, timeoutMs, (n) => (sent += n));
    const d = JSON.parse(res.text) as { status?: string; valid_records?: number; code?: string };
    const secs = (performance.now() - t) / 1000;
    clearInterval(sampler);
    const after = procMemory(pid)!;
    const MiB = (b: number): string => `${(b / 1048576).toFixed(0)} MiB`;
    console.log(
      `upload: ${(sent / 1048576).toFixed(0)} MiB JSONL ${mode === 'resumable' ? `in ${RESUMABLE_CHUNK / 1048576} MiB chunks to /v1/uploads (staged sealed, then processed)` : 'streamed to POST /v1/datasets'} (server pid ${pid}, Postgres, local blob store) -> ${res.status} ${d.status ?? d.code} (${d.valid_records ?? 0} records) in ${secs.toFixed(1)} s = ${(sent / 1048576 / secs).toFixed(1)} MiB/s`,
    );
    const envShown = Object.keys(startEnv).map((k) => `${k}=${process.env[k] ?? startEnv[k]} `).join('');
    console.log(`  server: ${envShown}node ${serverNodeFlags.length ? serverNodeFlags.join(' ') : '(default flags)'} ${entry}`);
    console.log(`  server RSS before upload: ${MiB(baseline.rss)}  (VmHWM so far ${MiB(baseline.hwm)})`);
    console.log(`  server RSS peak during upload (${samples} samples @100 ms): ${MiB(peak)}  VmHWM ${MiB(after.hwm)}  after: ${MiB(after.rss)}`);
    const delta = Math.max(peak, after.hwm) - baseline.rss;
    const peakAll = Math.max(peak, after.hwm);
    console.log(`  upload delta (peak - baseline): ${MiB(delta)}; this bench process's own RSS: ${MiB(process.memoryUsage().rss)}`);
    console.log(`RESULT (${mode}) server peak RSS = ${MiB(peakAll)} = ${(peakAll / 1e6).toFixed(0)} MB (target < 256 MB): ${peakAll < 256e6 ? 'PASS' : 'ABOVE TARGET'}; upload delta ${MiB(delta)}`);
  } finally {
    await stopChild();
    rmSync(dir, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
    await c.end();
  }
}

// BENCH_QUICK=1: small defaults (8 MiB scan, 64 MiB upload). Otherwise 32 MiB scan and the 1 GiB upload.
const quick = process.env.BENCH_QUICK === '1';
const scanMb = Number(process.env.BENCH_SCAN_MB ?? (quick ? 8 : 32));
if (scanMb > 0) await scanBench(scanMb);
const uploadMb = Number(process.env.BENCH_UPLOAD_MB ?? (quick ? 64 : 1024));
// BENCH_UPLOAD_MODE: stream (POST /v1/datasets), resumable (/v1/uploads, as the CLI and the console), or both.
const modes = (process.env.BENCH_UPLOAD_MODE ?? 'stream').split(',').flatMap((m) => (m === 'both' ? ['stream', 'resumable'] : [m]));
if (uploadMb > 0) {
  for (const mode of modes) {
    if (mode !== 'stream' && mode !== 'resumable') throw new Error(`BENCH_UPLOAD_MODE: stream, resumable or both, not ${mode}`);
    await uploadBench(uploadMb, mode);
  }
} else console.log('upload RSS bench skipped (BENCH_UPLOAD_MB=0)');
