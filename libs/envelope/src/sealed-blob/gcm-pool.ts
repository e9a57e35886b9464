import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { KeyObject } from 'node:crypto';
import { GCM_UPDATE_SLICE } from '../primitives/gcm-backend.js';

/**
 * A small pool of worker threads running AES-256-GCM over whole segments. Segments of a sealed blob are independent
 * (each has its own nonce), so they can be sealed or opened on several cores while the caller keeps their order.
 *
 * The worker source is inline (eval) so the pool works the same from the compiled tree, ts-jest and bundlers. Workers
 * are unref'd while idle (an idle pool never keeps the process alive) and ref'd while they hold work.
 */
const WORKER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { createCipheriv, createDecipheriv } = require('node:crypto');
// GCM over slices of GCM_UPDATE_SLICE (primitives/gcm-backend.ts says why).
const SLICE = ${GCM_UPDATE_SLICE};
function own(buf) { return buf.byteOffset === 0 && buf.byteLength === buf.buffer.byteLength; }
function run(cipher, data) {
  const out = [];
  for (let o = 0; o < data.length; o += SLICE) out.push(cipher.update(data.subarray(o, Math.min(data.length, o + SLICE))));
  return out;
}
function tryOpen(m, data, last) {
  const nonce = Buffer.from(m.nonce);
  nonce[11] = last ? 1 : 0;
  const d = createDecipheriv('aes-256-gcm', m.key, nonce, { authTagLength: 16 });
  d.setAAD(m.aad);
  d.setAuthTag(m.tag);
  const out = run(d, data);
  try { d.final(); return out; } catch { for (const p of out) p.fill(0); return undefined; }
}
parentPort.on('message', (m) => {
  try {
    const data = Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength);
    let out; let tag; let verdict = 'ok';
    if (m.op === 'seal') {
      const nonce = Buffer.from(m.nonce);
      nonce[11] = m.last ? 1 : 0;
      const c = createCipheriv('aes-256-gcm', m.key, nonce, { authTagLength: 16 });
      c.setAAD(m.aad);
      out = run(c, data);
      c.final();
      tag = c.getAuthTag();
    } else {
      out = tryOpen(m, data, m.last);
      if (out === undefined) { verdict = tryOpen(m, data, !m.last) === undefined ? 'bad' : 'flipped'; out = []; }
    }
    const transfer = [];
    for (const p of out) if (own(p)) transfer.push(p.buffer);
    if (own(data)) transfer.push(data.buffer);
    parentPort.postMessage({ id: m.id, verdict, out, tag, input: data }, transfer);
  } catch (error) {
    parentPort.postMessage({ id: m.id, verdict: 'error', message: String(error && error.message) });
  }
});
`;

export interface GcmJob {
  readonly op: 'seal' | 'open';
  readonly key: KeyObject;
  readonly aad: Buffer;
  /** 12-byte nonce; its last byte is set by the worker from `last`. */
  readonly nonce: Buffer;
  readonly last: boolean;
  /** Whole segment (plaintext to seal, ciphertext body to open). Transferred to the worker when it owns its memory. */
  readonly data: Buffer;
  readonly tag?: Buffer;
}

export interface GcmResult {
  /** ok; for open also 'flipped' (authenticates only with the other last-segment flag) or 'bad'. */
  readonly verdict: 'ok' | 'flipped' | 'bad';
  /** Output in order (the segment in slices); empty unless verdict is ok. */
  readonly out: Buffer[];
  readonly tag: Buffer | undefined;
  /** The job's input buffer handed back (reusable by the caller). */
  readonly input: Buffer | undefined;
}

interface Reply {
  id: number;
  verdict: 'ok' | 'flipped' | 'bad' | 'error';
  out?: Uint8Array[];
  tag?: Uint8Array;
  input?: Uint8Array;
  message?: string;
}

interface Slot {
  worker: Worker;
  busy: number;
}

const asBuffer = (u: Uint8Array | undefined): Buffer | undefined =>
  u === undefined ? undefined : Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);

function ownsMemory(b: Buffer): boolean {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength && !(b.buffer instanceof SharedArrayBuffer);
}

export class GcmPool {
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #jobs = new Map<number, { slot: Slot; resolve: (r: GcmResult) => void; reject: (e: Error) => void }>();
  #nextId = 0;
  #closed = false;

  constructor(size: number) {
    this.size = Math.max(1, Math.floor(size));
    for (let i = 0; i < this.size; i++) this.#slots.push(this.#spawn());
  }

  #spawn(): Slot {
    const worker = new Worker(WORKER_SOURCE, { eval: true });
    const slot: Slot = { worker, busy: 0 };
    worker.unref();
    worker.on('message', (reply: Reply) => this.#settle(reply));
    const fail = (error: Error): void => {
      for (const [id, job] of this.#jobs) {
        if (job.slot !== slot) continue;
        this.#jobs.delete(id);
        job.reject(error);
      }
      slot.busy = 0;
      if (!this.#closed) {
        const index = this.#slots.indexOf(slot);
        if (index >= 0) this.#slots[index] = this.#spawn();
      }
    };
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!this.#closed) fail(new Error(`GCM worker exited (${code})`));
    });
    return slot;
  }

  #settle(reply: Reply): void {
    const job = this.#jobs.get(reply.id);
    if (job === undefined) return;
    this.#jobs.delete(reply.id);
    job.slot.busy -= 1;
    if (job.slot.busy === 0) job.slot.worker.unref();
    if (reply.verdict === 'error') {
      job.reject(new Error(`GCM worker failed: ${reply.message ?? 'unknown error'}`));
      return;
    }
    job.resolve({
      verdict: reply.verdict,
      out: (reply.out ?? []).map((u) => asBuffer(u) as Buffer),
      tag: asBuffer(reply.tag),
      input: asBuffer(reply.input),
    });
  }

  run(job: GcmJob): Promise<GcmResult> {
    if (this.#closed) return Promise.reject(new Error('GCM pool is closed'));
    let slot = this.#slots[0] as Slot;
    for (const s of this.#slots) if (s.busy < slot.busy) slot = s;
    const id = this.#nextId++;
    return new Promise<GcmResult>((resolve, reject) => {
      this.#jobs.set(id, { slot, resolve, reject });
      if (slot.busy === 0) slot.worker.ref();
      slot.busy += 1;
      const transfer = ownsMemory(job.data) ? [job.data.buffer as ArrayBuffer] : [];
      slot.worker.postMessage({ id, ...job }, transfer);
    });
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const [, job] of this.#jobs) job.reject(new Error('GCM pool closed'));
    this.#jobs.clear();
    await Promise.all(this.#slots.map((s) => s.worker.terminate()));
  }
}

let shared: GcmPool | undefined;

/** Default pool size: the machine's cores, at most 4 (GCM is memory-bound beyond that). */
export function defaultParallelism(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

/** The process-wide pool, created on first use with `size` workers (later calls reuse it). */
export function sharedGcmPool(size = defaultParallelism()): GcmPool {
  shared ??= new GcmPool(size);
  return shared;
}

/** Terminates the process-wide pool (tests, graceful shutdown). A later use creates a new one. */
export async function closeSharedGcmPool(): Promise<void> {
  const pool = shared;
  shared = undefined;
  await pool?.close();
}
