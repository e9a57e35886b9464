/**
 * Sealed-blob throughput next to the machine's raw AES-256-GCM speed, measured in the same run.
 *
 *   openssl speed -evp aes-256-gcm -bytes 16384   (one core, 16 KB blocks: the physical limit for this cipher)
 *   seal / unseal: DataKey + SealedBlobWriter/Reader and the Transform streams, default 1 MiB segments
 *
 *   seal / unseal on the worker pool (parallelism = cores, at most 4): same bytes, segments on worker threads
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
import { DataKey, SealedBlobReader, SealedBlobWriter, createOpenStream, createSealStream } from '@confide/envelope';

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
const cpuRates = new Map<string, number>();
function cpuMbps(bytes: number): number {
  const used = process.cpuUsage(cpu0);
  return bytes / 1e6 / ((used.user + used.system) / 1e6);
}

async function main(): Promise<void> {
  const dek = DataKey.generate();
  const chunk = randomBytes(CHUNK);
  const chunks = Math.round((TOTAL_MB * 1e6) / CHUNK);
  const bytes = chunks * CHUNK;

  const load = loadavg().map((l) => l.toFixed(2)).join(' ');
  const opensslCpu = opensslAesGcmMBps(false);
  const openssl = opensslAesGcmMBps(true);
  const parallelism = Math.min(availableParallelism(), 4);

  // Ceiling of node:crypto itself: one GCM context fed 1 MiB updates (no per-segment setup, no tag).
  const mib = randomBytes(1 << 20);
  const ceilingCipher = createCipheriv('aes-256-gcm', randomBytes(32), randomBytes(12));
  let start = process.hrtime.bigint();
  cpu0 = process.cpuUsage();
  for (let i = 0; i < 256; i++) ceilingCipher.update(mib);
  const nodeCeiling = mbps(256 * (1 << 20), process.hrtime.bigint() - start);

  // Core writer (no stream machinery), keeping the sealed output for the unseal run in bounded form: we only keep
  // a 16 MB sealed sample and replay it, so memory stays small whatever BENCH_MB is.
  let sealedBytes = 0;
  start = process.hrtime.bigint();
  cpu0 = process.cpuUsage();
  const writer = new SealedBlobWriter({ dek, context });
  for (let i = 0; i < chunks; i++) for (const piece of writer.push(chunk)) sealedBytes += piece.length;
  for (const piece of writer.finish()) sealedBytes += piece.length;
  const sealCore = mbps(bytes, process.hrtime.bigint() - start);
  cpuRates.set('sealCore', cpuMbps(bytes));

  // Transform streams end to end (what uploads use).
  start = process.hrtime.bigint();
  cpu0 = process.cpuUsage();
  await pipeline(
    Readable.from((function* () { for (let i = 0; i < chunks; i++) yield chunk; })()),
    createSealStream({ dek, context }),
    new Writable({ write: (_c, _e, cb) => cb() }),
  );
  const sealStream = mbps(bytes, process.hrtime.bigint() - start);
  cpuRates.set('sealStream', cpuMbps(bytes));

  // The same stream with segments sealed on the worker pool (first a short warm-up that starts the workers).
  const sink = (): Writable => new Writable({ write: (_c, _e, cb) => cb() });
  await pipeline(Readable.from([chunk]), createSealStream({ dek, context, parallelism }), sink());
  start = process.hrtime.bigint();
  cpu0 = process.cpuUsage();
  await pipeline(
    Readable.from((function* () { for (let i = 0; i < chunks; i++) yield chunk; })()),
    createSealStream({ dek, context, parallelism }),
    sink(),
  );
  const sealPool = mbps(bytes, process.hrtime.bigint() - start);
  cpuRates.set('sealPool', cpuMbps(bytes));

  // Unseal: seal a 64 MB blob once, then open it.
  const sampleChunks = Math.min(chunks, Math.round(64e6 / CHUNK));
  const sealedSample: Buffer[] = [];
  const sampleWriter = new SealedBlobWriter({ dek, context });
  for (let i = 0; i < sampleChunks; i++) sealedSample.push(...sampleWriter.push(chunk));
  sealedSample.push(...sampleWriter.finish());
  const sealedBuffer = Buffer.concat(sealedSample);
  const sealedPieces: Buffer[] = [];
  for (let o = 0; o < sealedBuffer.length; o += CHUNK) sealedPieces.push(sealedBuffer.subarray(o, o + CHUNK));
  const sampleBytes = sampleChunks * CHUNK;

  start = process.hrtime.bigint();
  cpu0 = process.cpuUsage();
  const reader = new SealedBlobReader({ dek, context });
  let opened = 0;
  for (const piece of sealedPieces) for (const p of reader.pushSync(piece) ?? (await reader.push(piece))) opened += p.length;
  for (const p of await reader.finish()) opened += p.length;
  const openCore = mbps(sampleBytes, process.hrtime.bigint() - start);
  cpuRates.set('openCore', cpuMbps(sampleBytes));
  if (opened !== sampleBytes) throw new Error('unseal size mismatch');

  start = process.hrtime.bigint();
  cpu0 = process.cpuUsage();
  await pipeline(Readable.from(sealedPieces), createOpenStream({ dek, context }), new Writable({ write: (_c, _e, cb) => cb() }));
  const openStream = mbps(sampleBytes, process.hrtime.bigint() - start);
  cpuRates.set('openStream', cpuMbps(sampleBytes));

  start = process.hrtime.bigint();
  cpu0 = process.cpuUsage();
  await pipeline(Readable.from(sealedPieces), createOpenStream({ dek, context, parallelism }), sink());
  const openPool = mbps(sampleBytes, process.hrtime.bigint() - start);
  cpuRates.set('openPool', cpuMbps(sampleBytes));

  const row = (name: string, value: number, key?: string): string => {
    const cpu = key === undefined ? undefined : cpuRates.get(key);
    const perCpu = cpu === undefined ? '' : `   | ${cpu.toFixed(0).padStart(5)} MB per CPU-s  ${(cpu / opensslCpu).toFixed(2)}x openssl per CPU-s`;
    return `${name.padEnd(44)} ${value.toFixed(0).padStart(6)} MB/s   ${(value / openssl).toFixed(2)}x openssl${perCpu}`;
  };
  console.log(`sealed-blob bench: ${(bytes / 1e6).toFixed(0)} MB sealed, ${(sampleBytes / 1e6).toFixed(0)} MB opened, 1 MiB segments, node ${process.version}`);
  console.log(`nproc ${availableParallelism()}, pool ${parallelism} workers, load average at start ${load}, at end ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log(`openssl speed -evp aes-256-gcm (16 KB), per user-CPU second: ${opensslCpu.toFixed(0)} MB/s (${(opensslCpu / openssl).toFixed(2)}x the wall-time figure)`);
  console.log(row('openssl speed -elapsed -evp aes-256-gcm (16 KB)', openssl));
  console.log(row('node:crypto GCM ceiling (one context, 1 MiB)', nodeCeiling));
  console.log(row('seal (SealedBlobWriter)', sealCore, 'sealCore'));
  console.log(row('seal (createSealStream pipeline)', sealStream, 'sealStream'));
  console.log(row(`seal (createSealStream, pool x${parallelism})`, sealPool, 'sealPool'));
  console.log(row('unseal (SealedBlobReader)', openCore, 'openCore'));
  console.log(row('unseal (createOpenStream pipeline)', openStream, 'openStream'));
  console.log(row(`unseal (createOpenStream, pool x${parallelism})`, openPool, 'openPool'));
  console.log(`overhead: ${(((sealedBytes - bytes) / bytes) * 100).toFixed(4)}% bytes; peak RSS ${(process.memoryUsage().rss / 1e6).toFixed(0)} MB`);
  const ratio = sealPool / openssl;
  console.log(`RESULT seal (pool) / openssl = ${ratio.toFixed(2)}, single thread ${(sealStream / openssl).toFixed(2)} (target >= 0.70): ${ratio >= 0.7 ? 'PASS' : 'BELOW TARGET'}`);
}

await main();
