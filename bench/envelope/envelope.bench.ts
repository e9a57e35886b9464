/**
 * Sealed-blob throughput next to the machine's raw AES-256-GCM speed, measured in the same run.
 *
 *   openssl speed -evp aes-256-gcm -bytes 16384   (one core, 16 KB blocks: the physical limit for this cipher)
 *   seal / unseal: DataKey + SealedBlobWriter/Reader and the Transform streams, default 1 MiB segments
 *
 *   seal / unseal on the worker pool (parallelism = cores, at most 4): same bytes, segments on worker threads
 *
 * Each AES-GCM backend built here runs (native addon over node's OpenSSL, node:crypto); "in place" is the upload path
 * (SealOptions.consumeInput: the producer hands its chunks over, as DatasetsService does). The node:crypto ceiling rows
 * show why node:crypto alone is slow: the same GCM context fed 1 MiB updates vs 64 KiB updates (per-call output
 * allocation; see primitives/gcm-backend.ts).
 *
 * Prints MB/s (10^6 bytes/s) and the ratio seal/openssl (target >= 0.7). Env: BENCH_MB (default 256).
 * openssl speed reports throughput per CPU second of user time (it ignores time the core spent on other processes);
 * -elapsed reports wall time like the node rows. Both are printed with nproc and the load average, and the RESULT line
 * compares wall time with wall time (openssl -elapsed) so a busy machine does not skew the ratio.
 */
import { execFileSync } from 'node:child_process';
import { createCipheriv, randomBytes } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { availableParallelism, loadavg } from 'node:os';
import {
  DataKey,
  SealedBlobReader,
  SealedBlobWriter,
  availableGcmBackends,
  createOpenStream,
  createSealStream,
  defaultGcm,
  nativeGcmStatus,
} from '@confide/envelope';

const TOTAL_MB = Number(process.env.BENCH_MB ?? 256);
const CHUNK = 64 * 1024;
const context = { tenantId: 'bench-tenant', datasetId: 'bench-dataset' };

function opensslAesGcmMBps(elapsed: boolean): number {
  const args = ['speed', ...(elapsed ? ['-elapsed'] : []), '-evp', 'aes-256-gcm', '-bytes', '16384', '-seconds', '3'];
  const out = execFileSync('openssl', args, {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  // Last table line: "AES-256-GCM    2075206.67k" — thousands of bytes per second.
  const line = out
    .trim()
    .split('\n')
    .reverse()
    .find((l) => /^aes-256-gcm\s/i.test(l));
  const match = line?.match(/([\d.]+)k\s*$/);
  if (match?.[1] === undefined) throw new Error(`cannot parse openssl speed output:\n${out}`);
  return (Number(match[1]) * 1000) / 1e6;
}

function mbps(bytes: number, ns: bigint): number {
  return bytes / 1e6 / (Number(ns) / 1e9);
}

/** MB per CPU second of this process (all threads, user + system): what openssl speed reports by default. */
let cpu0 = process.cpuUsage();
function cpuMbps(bytes: number): number {
  const used = process.cpuUsage(cpu0);
  return bytes / 1e6 / ((used.user + used.system) / 1e6);
}

async function main(): Promise<void> {
  const dek = DataKey.generate();
  const chunks = Math.round((TOTAL_MB * 1e6) / CHUNK);
  const bytes = chunks * CHUNK;
  // Distinct input chunks (a ring much larger than a segment), so sealing in place never aliases a chunk it still holds.
  const ring = Array.from({ length: 128 }, () => randomBytes(CHUNK));
  const input = function* (): Generator<Buffer> {
    for (let i = 0; i < chunks; i++) yield ring[i % ring.length] as Buffer;
  };

  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const opensslCpu = opensslAesGcmMBps(false);
  const openssl = opensslAesGcmMBps(true);
  const parallelism = Math.min(availableParallelism(), 4);
  const rows: string[] = [];
  const row = (name: string, value: number, cpu?: number): void => {
    const perCpu = cpu === undefined ? '' : `   | ${cpu.toFixed(0).padStart(5)} MB per CPU-s  ${(cpu / opensslCpu).toFixed(2)}x openssl per CPU-s`;
    rows.push(`${name.padEnd(50)} ${value.toFixed(0).padStart(6)} MB/s   ${(value / openssl).toFixed(2)}x openssl${perCpu}`);
  };
  const time = async (fn: () => unknown, n: number): Promise<{ wall: number; cpu: number }> => {
    const start = process.hrtime.bigint();
    cpu0 = process.cpuUsage();
    await fn();
    return { wall: mbps(n, process.hrtime.bigint() - start), cpu: cpuMbps(n) };
  };
  const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });

  // Ceiling of node:crypto itself: one GCM context, no per-segment setup, no tag; 1 MiB vs 64 KiB updates.
  const mib = randomBytes(1 << 20);
  for (const slice of [1 << 20, 64 << 10]) {
    const cipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
    const r = await time(() => {
      for (let i = 0; i < 256; i++) for (let o = 0; o < mib.length; o += slice) cipher.update(mib.subarray(o, o + slice));
    }, 256 * (1 << 20));
    row(`node:crypto GCM ceiling (one context, ${slice >> 10} KiB updates)`, r.wall, r.cpu);
  }

  let sealedBytes = 0;
  const results = new Map<string, number>();
  for (const gcm of availableGcmBackends()) {
    const tag = gcm.name === 'native-openssl' ? 'native' : 'node:crypto';
    const sealCore = (consumeInput: boolean) => (): void => {
      sealedBytes = 0;
      const writer = new SealedBlobWriter({ dek, context, gcm, consumeInput });
      for (const c of input()) for (const piece of writer.push(c)) sealedBytes += piece.length;
      for (const piece of writer.finish()) sealedBytes += piece.length;
    };
    let r = await time(sealCore(false), bytes);
    row(`seal ${tag} (SealedBlobWriter)`, r.wall, r.cpu);
    r = await time(sealCore(true), bytes);
    row(`seal ${tag} (SealedBlobWriter, in place)`, r.wall, r.cpu);
    // Transform streams end to end, input handed over (what uploads do).
    r = await time(() => pipeline(Readable.from(input()), createSealStream({ dek, context, gcm, consumeInput: true }), sink()), bytes);
    row(`seal ${tag} (createSealStream, in place)`, r.wall, r.cpu);
    results.set(gcm.name, r.wall);
    results.set(`${gcm.name}/cpu`, r.cpu);
  }

  // The same stream with segments sealed by node:crypto on the worker pool (first a short warm-up starting the workers).
  await pipeline(Readable.from([mib]), createSealStream({ dek, context, parallelism }), sink());
  const pool = await time(() => pipeline(Readable.from(input()), createSealStream({ dek, context, parallelism }), sink()), bytes);
  row(`seal node:crypto (createSealStream, pool x${parallelism})`, pool.wall, pool.cpu);

  // Unseal: seal a 64 MB blob once, then open it.
  const sampleChunks = Math.min(chunks, Math.round(64e6 / CHUNK));
  const sealedSample: Buffer[] = [];
  const sampleWriter = new SealedBlobWriter({ dek, context });
  for (let i = 0; i < sampleChunks; i++) sealedSample.push(...sampleWriter.push(ring[i % ring.length] as Buffer));
  sealedSample.push(...sampleWriter.finish());
  const sealedBuffer = Buffer.concat(sealedSample);
  const sealedPieces: Buffer[] = [];
  for (let o = 0; o < sealedBuffer.length; o += CHUNK) sealedPieces.push(sealedBuffer.subarray(o, o + CHUNK));
  const sampleBytes = sampleChunks * CHUNK;
  // Warm-up (not timed): the first pass over fresh output memory pays its page faults, whichever backend runs first.
  await pipeline(Readable.from(sealedPieces), createOpenStream({ dek, context }), sink());
  for (const gcm of availableGcmBackends()) {
    const tag = gcm.name === 'native-openssl' ? 'native' : 'node:crypto';
    let opened = 0;
    let r = await time(async () => {
      const reader = new SealedBlobReader({ dek, context, gcm });
      for (const piece of sealedPieces) for (const p of reader.pushSync(piece) ?? (await reader.push(piece))) opened += p.length;
      for (const p of await reader.finish()) opened += p.length;
    }, sampleBytes);
    if (opened !== sampleBytes) throw new Error('unseal size mismatch');
    row(`unseal ${tag} (SealedBlobReader)`, r.wall, r.cpu);
    r = await time(() => pipeline(Readable.from(sealedPieces), createOpenStream({ dek, context, gcm }), sink()), sampleBytes);
    row(`unseal ${tag} (createOpenStream)`, r.wall, r.cpu);
  }
  const openPool = await time(() => pipeline(Readable.from(sealedPieces), createOpenStream({ dek, context, parallelism }), sink()), sampleBytes);
  row(`unseal node:crypto (createOpenStream, pool x${parallelism})`, openPool.wall, openPool.cpu);

  const path = defaultGcm();
  console.log(`sealed-blob bench: ${(bytes / 1e6).toFixed(0)} MB sealed, ${(sampleBytes / 1e6).toFixed(0)} MB opened, 1 MiB segments, node ${process.version}`);
  console.log(`AES-GCM path used by default: ${path.name} (native addon: ${nativeGcmStatus()})`);
  console.log(`nproc ${availableParallelism()}, pool ${parallelism} workers, load average at start ${load}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`openssl speed -evp aes-256-gcm (16 KB), per user-CPU second: ${opensslCpu.toFixed(0)} MB/s (${(opensslCpu / openssl).toFixed(2)}x the wall-time figure)`);
  console.log(`${'openssl speed -elapsed -evp aes-256-gcm (16 KB)'.padEnd(50)} ${openssl.toFixed(0).padStart(6)} MB/s   1.00x openssl`);
  for (const line of rows) console.log(line);
  console.log(`overhead: ${(((sealedBytes - bytes) / bytes) * 100).toFixed(4)}% bytes; peak RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
  const wall = results.get(path.name) as number;
  const cpu = results.get(`${path.name}/cpu`) as number;
  const ratio = wall / openssl;
  console.log(
    `RESULT seal (${path.name}, createSealStream in place: the upload path) / openssl = ${ratio.toFixed(2)} wall, ${(cpu / opensslCpu).toFixed(2)} per CPU-s (target >= 0.70): ${ratio >= 0.7 ? 'PASS' : 'BELOW TARGET'}`,
  );
}

await main();
