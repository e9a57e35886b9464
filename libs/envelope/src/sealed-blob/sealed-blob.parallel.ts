import { EnvelopeError } from '../envelope.error.js';
import { ByteQueue, splitTail } from './byte-queue.js';
import { sharedGcmPool, type GcmPool, type GcmResult } from './gcm-pool.js';
import {
  MAX_SEGMENTS,
  newSealState,
  readBlobHeader,
  segmentNonce,
  type BlobKeys,
  type OpenOptions,
  type SealOptions,
  type SealState,
} from './sealed-blob.cipher.js';
import { TAG_LENGTH, type SealedBlobHeader } from './sealed-blob.header.js';

/**
 * Sealing and opening on the worker pool. Same bytes as SealedBlobWriter / SealedBlobReader: each segment is sent
 * whole to a worker with its nonce (prefix ‖ counter ‖ last flag), results are released strictly in segment order,
 * and at most `inFlight` segments are outstanding, so memory stays bounded by 2 x inFlight segments.
 */

interface Pending {
  readonly promise: Promise<Buffer[]>;
  value: Buffer[] | undefined;
}

class OrderedJobs {
  readonly #pending: Pending[] = [];
  constructor(readonly inFlight: number) {}

  add(promise: Promise<Buffer[]>): void {
    const entry: Pending = { promise, value: undefined };
    promise.then(
      (v) => (entry.value = v),
      () => undefined,
    );
    this.#pending.push(entry);
  }

  /** Results ready at the head (in order); waits for the head while more than `keep` jobs are outstanding. */
  async drain(out: Buffer[], keep: number): Promise<void> {
    for (;;) {
      const head = this.#pending[0];
      if (head === undefined) return;
      if (head.value === undefined && this.#pending.length <= keep) return;
      const value = head.value ?? (await head.promise);
      this.#pending.shift();
      for (const b of value) out.push(b);
    }
  }
}

function gather(pieces: readonly Buffer[], length: number, reuse: Buffer | undefined): Buffer {
  // A buffer that owns its ArrayBuffer can be transferred to the worker instead of copied by postMessage.
  const out = reuse !== undefined && reuse.length === length ? reuse : Buffer.allocUnsafeSlow(length);
  let o = 0;
  for (const p of pieces) o += p.copy(out, o);
  return out;
}

export class ParallelSealedBlobWriter {
  readonly header: Buffer;
  readonly #state: SealState;
  readonly #pool: GcmPool;
  readonly #queue = new ByteQueue();
  readonly #jobs: OrderedJobs;
  readonly #free: Buffer[] = [];
  #counter = 0;
  #headerSent = false;
  #finished = false;

  constructor(options: SealOptions, state: SealState = newSealState(options), pool: GcmPool = sharedGcmPool()) {
    this.#state = state;
    this.header = state.header;
    this.#pool = pool;
    this.#jobs = new OrderedJobs(Math.max(2, 2 * Math.floor(options.parallelism ?? pool.size)));
  }

  async push(chunk: Uint8Array): Promise<Buffer[]> {
    if (this.#finished) throw new Error('ParallelSealedBlobWriter: push after finish');
    const out = this.#takeHeader();
    this.#queue.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    const size = this.#state.segmentSize;
    while (this.#queue.length > size) {
      this.#submit(this.#queue.take(size), size, false);
      await this.#jobs.drain(out, this.#jobs.inFlight - 1);
    }
    await this.#jobs.drain(out, Number.POSITIVE_INFINITY);
    return out;
  }

  async finish(): Promise<Buffer[]> {
    if (this.#finished) throw new Error('ParallelSealedBlobWriter: finish called twice');
    this.#finished = true;
    const out = this.#takeHeader();
    const length = this.#queue.length;
    this.#submit(this.#queue.take(length), length, true);
    await this.#jobs.drain(out, 0);
    return out;
  }

  #takeHeader(): Buffer[] {
    if (this.#headerSent) return [];
    this.#headerSent = true;
    return [this.header];
  }

  #submit(pieces: Buffer[], length: number, last: boolean): void {
    if (this.#counter >= MAX_SEGMENTS) {
      throw new EnvelopeError('blob_too_large', 'blob exceeds 2^32 segments; use a larger segment size');
    }
    const { keys, noncePrefix, segmentSize } = this.#state;
    const data = gather(pieces, length, this.#free.pop());
    const nonce = segmentNonce(noncePrefix, this.#counter, last);
    this.#counter += 1;
    this.#jobs.add(
      this.#pool.run({ op: 'seal', key: keys.key, aad: keys.aad, nonce, last, data }).then((r: GcmResult) => {
        if (r.input !== undefined && r.input.length === segmentSize && this.#free.length < this.#jobs.inFlight) this.#free.push(r.input);
        r.out.push(r.tag as Buffer);
        return r.out;
      }),
    );
  }
}

type State = 'header' | 'segments' | 'done' | 'failed';

export class ParallelSealedBlobReader {
  readonly #options: OpenOptions;
  readonly #pool: GcmPool;
  readonly #queue = new ByteQueue();
  readonly #jobs: OrderedJobs;
  #state: State = 'header';
  #header: SealedBlobHeader | undefined;
  #keys: BlobKeys | undefined;
  #counter = 0;

  constructor(options: OpenOptions, pool: GcmPool = sharedGcmPool()) {
    this.#options = options;
    this.#pool = pool;
    this.#jobs = new OrderedJobs(Math.max(2, 2 * Math.floor(options.parallelism ?? pool.size)));
  }

  get header(): SealedBlobHeader | undefined {
    return this.#header;
  }

  async push(chunk: Uint8Array): Promise<Buffer[]> {
    this.#assertUsable();
    this.#queue.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    return this.#guard(async () => {
      const out: Buffer[] = [];
      if (this.#state === 'header' && !(await this.#readHeader())) return out;
      const segmentLength = (this.#header as SealedBlobHeader).segmentSize + TAG_LENGTH;
      while (this.#queue.length > segmentLength) {
        this.#submit(this.#queue.take(segmentLength), false);
        await this.#jobs.drain(out, this.#jobs.inFlight - 1);
      }
      await this.#jobs.drain(out, Number.POSITIVE_INFINITY);
      return out;
    });
  }

  async finish(): Promise<Buffer[]> {
    this.#assertUsable();
    return this.#guard(async () => {
      if (this.#state === 'header' && !(await this.#readHeader())) {
        throw new EnvelopeError('blob_truncated', 'sealed blob ends inside its header');
      }
      const out: Buffer[] = [];
      if (this.#queue.length < TAG_LENGTH) {
        await this.#jobs.drain(out, 0); // an earlier corrupt segment is reported first, as in the serial reader
        throw new EnvelopeError('blob_truncated', 'sealed blob ends before its last segment');
      }
      this.#submit(this.#queue.take(this.#queue.length), true);
      await this.#jobs.drain(out, 0);
      this.#state = 'done';
      return out;
    });
  }

  #assertUsable(): void {
    if (this.#state === 'done') throw new EnvelopeError('blob_trailing_data', 'data after the end of the sealed blob');
    if (this.#state === 'failed') throw new EnvelopeError('segment_authentication_failed', 'sealed blob already failed');
  }

  async #guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      this.#state = 'failed';
      throw error;
    }
  }

  async #readHeader(): Promise<boolean> {
    const read = await readBlobHeader(this.#queue, this.#options);
    if (read === undefined) return false;
    this.#header = read.header;
    this.#keys = read.keys;
    this.#state = 'segments';
    return true;
  }

  #submit(pieces: Buffer[], last: boolean): void {
    if (this.#counter >= MAX_SEGMENTS) throw new EnvelopeError('blob_too_large', 'blob exceeds 2^32 segments');
    const { body, tail } = splitTail(pieces, TAG_LENGTH);
    const data = gather(body, body.reduce((n, p) => n + p.length, 0), undefined);
    const keys = this.#keys as BlobKeys;
    const counter = this.#counter;
    const nonce = segmentNonce((this.#header as SealedBlobHeader).noncePrefix, counter, last);
    this.#counter += 1;
    this.#jobs.add(
      this.#pool.run({ op: 'open', key: keys.key, aad: keys.aad, nonce, last, data, tag: tail }).then((r) => {
        // Plaintext reaches the caller only for a segment whose tag verified, in segment order.
        if (r.verdict === 'ok') return r.out;
        if (r.verdict === 'flipped') {
          throw last
            ? new EnvelopeError('blob_truncated', 'sealed blob was truncated at a segment boundary')
            : new EnvelopeError('blob_trailing_data', 'data after the last segment of the sealed blob');
        }
        throw new EnvelopeError('segment_authentication_failed', `segment ${counter} failed authentication`);
      }),
    );
  }
}
