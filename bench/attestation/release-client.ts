/**
 * The key-release bench's load generator, run as its own process by attestation.bench.ts (its own event loop and
 * CPU, and none of the server's modules loaded, so their heap is not collected on its time): request i is due at
 * start + i / rate whether or not earlier ones finished (open loop), latency counts from the due time. Reads its
 * configuration from the file BENCH_CLIENT_CONFIG_FILE names (and deletes it) and prints one JSON line.
 */
import { readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { dirname } from 'node:path';

export interface ClientConfig {
  readonly url: string;
  readonly token: string;
  /** The JSON bodies to POST, request i sending body i mod length; null sends a GET without one (the HTTP floor). */
  readonly bodies: readonly unknown[] | null;
  readonly rate: number;
  readonly seconds: number;
}
export interface ClientResult {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
  readonly ok: number;
  readonly failed: number;
  readonly achieved: number;
  /** The client process's own CPU per request sent (it shares the machine with the server). */
  readonly clientCpuMsPerRequest: number;
  /** The (at most 3) seconds of the run with the most requests over 50 ms: where a p99 miss comes from. */
  readonly worstSeconds: ReadonlyArray<{ readonly second: number; readonly over50ms: number; readonly maxMs: number }>;
}

const CLIENT_CONNECTIONS = Number(process.env.BENCH_RELEASE_CONNECTIONS ?? 64);

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
export async function releaseClient(): Promise<void> {
  const file = process.env.BENCH_CLIENT_CONFIG_FILE;
  if (!file) throw new Error('BENCH_CLIENT_CONFIG_FILE is not set');
  const config = JSON.parse(readFileSync(file, 'utf8')) as ClientConfig;
  rmSync(dirname(file), { recursive: true, force: true });
  if (!/^http:\/\/127\.0\.0\.1:\d+\//.test(config.url)) throw new Error('the release client only talks to 127.0.0.1');
  const target = new URL(config.url);
  // Every request's bytes are built before the clock starts.
  const build = (body: unknown): Buffer => {
    if (body === null) return Buffer.from(`GET ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\nauthorization: Bearer ${config.token}\r\n\r\n`, 'latin1');
    const payload = Buffer.from(JSON.stringify(body));
    const head =
      `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\nauthorization: Bearer ${config.token}\r\n` +
      `content-type: application/json\r\ncontent-length: ${payload.length}\r\n\r\n`;
    return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
  };
  const requests = config.bodies === null ? [build(null)] : config.bodies.map(build);
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
  const postOnce = async (request: Buffer): Promise<number> => {
    const c = await acquire();
    try {
      return await c.send(request, 30_000);
    } finally {
      releaseConnection(c);
    }
  };
  const latencies: number[] = [];
  const slowBySecond = new Map<number, { over50ms: number; maxMs: number }>();
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
          const status = await postOnce(requests[i % requests.length]!);
          if (status < 200 || status > 299) throw new Error(`HTTP ${status}`);
          // From when the request was due, so falling behind counts (no coordinated omission).
          const latency = performance.now() - due;
          latencies.push(latency);
          if (latency > 50) {
            const second = Math.floor((due - start) / 1000);
            const w = slowBySecond.get(second) ?? { over50ms: 0, maxMs: 0 };
            slowBySecond.set(second, { over50ms: w.over50ms + 1, maxMs: Math.max(w.maxMs, Math.round(latency)) });
          }
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
    worstSeconds: [...slowBySecond]
      .sort((a, b) => b[1].over50ms - a[1].over50ms)
      .slice(0, 3)
      .map(([second, w]) => ({ second, ...w })),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`, () => process.exit(0));
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
}

releaseClient().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
