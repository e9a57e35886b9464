import {
  createHash,
  createSecretKey,
  randomBytes,
  timingSafeEqual,
  type KeyObject,
} from 'node:crypto';
import { encodeFields, u32 } from '../encoding/length-prefixed.js';
import { EnvelopeError } from '../envelope.error.js';
import { hkdfSha256 } from '../primitives/aead.js';
import { defaultGcm, type GcmBackend } from '../primitives/gcm-backend.js';
import type { DataKey } from '../keys/data-key.js';
import { ByteQueue, splitTail } from './byte-queue.js';
import {
  COMMITMENT_LENGTH,
  DEFAULT_SEGMENT_SIZE,
  HEADER_FIXED_PREFIX,
  NONCE_PREFIX_LENGTH,
  SALT_LENGTH,
  TAG_LENGTH,
  decodeHeader,
  encodeBoundHeader,
  peekHeaderLength,
  type SealedBlobHeader,
} from './sealed-blob.header.js';

/** What a sealed blob is about. Bound into the key derivation and every segment's associated data. */
export interface SealContext {
  readonly tenantId: string;
  readonly datasetId: string;
}

export interface DekReference {
  readonly keyId: string;
  readonly keyVersion: number;
}

/** The DEK itself, or a lookup from the (unauthenticated) key reference in the header to the DEK. */
export type DekSource = DataKey | ((ref: DekReference) => DataKey | Promise<DataKey>);

export interface SealOptions {
  readonly dek: DataKey;
  readonly context: SealContext;
  /** Plaintext bytes per segment (default 1 MiB); bounds the memory used on both sides. */
  readonly segmentSize?: number;
  /**
   * Streaming forms only (createSealStream, sealIterable): seal up to 2 x this many segments at once on the shared
   * worker-thread pool, output order and bytes unchanged. 1 or absent = serial on the calling thread.
   */
  readonly parallelism?: number;
  /**
   * The caller gives up the chunks it pushes: they may be encrypted in place and handed back as the sealed output, so
   * the writer allocates nothing per segment. Pass true only when nothing reads a chunk after pushing it.
   */
  readonly consumeInput?: boolean;
  /** AES-GCM implementation (tests and the bench run each); default: the native addon if built, else node:crypto. */
  readonly gcm?: GcmBackend;
}

export interface OpenOptions {
  readonly dek: DekSource;
  readonly context: SealContext;
  /** Streaming forms only (createOpenStream, openIterable): segments opened at once on the worker pool, as for sealing. */
  readonly parallelism?: number;
  /** As for SealOptions. */
  readonly gcm?: GcmBackend;
}

const KDF_LABEL = 'confide/sealed-blob/v1';
export const MAX_SEGMENTS = 0x1_0000_0000;
const MAX_CONTEXT_FIELD_BYTES = 256;

function assertContext(context: SealContext): void {
  for (const [name, value] of [
    ['tenantId', context.tenantId],
    ['datasetId', context.datasetId],
  ] as const) {
    if (typeof value !== 'string' || value.length === 0 || Buffer.byteLength(value) > MAX_CONTEXT_FIELD_BYTES) {
      throw new EnvelopeError('invalid_context', `seal context ${name} must be a non-empty string of at most 256 bytes`);
    }
  }
}

export interface BlobKeys {
  readonly key: KeyObject;
  /** The same key as bytes, for the GCM backends. */
  readonly raw: Buffer;
  readonly commitment: Buffer;
  readonly aad: Buffer;
}

/**
 * Per-blob key and key commitment from HKDF-SHA256(DEK, salt, info), info binding the header and the context.
 * The commitment makes the format key-committing (AES-GCM alone is not) and lets a wrong key or context fail
 * before any segment is touched. Each segment's AAD is SHA-256(info), binding tenant, dataset, key version and header.
 */
export function deriveBlobKeys(dek: DataKey, header: { boundBytes: Buffer; salt: Buffer; keyVersion: number }, context: SealContext): BlobKeys {
  const info = encodeFields(KDF_LABEL, [header.boundBytes, context.tenantId, context.datasetId, u32(header.keyVersion)]);
  const okm = hkdfSha256(dek.material(), header.salt, info, 32 + COMMITMENT_LENGTH);
  const raw = Buffer.from(okm.subarray(0, 32));
  const key = createSecretKey(raw);
  const commitment = Buffer.from(okm.subarray(32));
  okm.fill(0);
  return { key, raw, commitment, aad: createHash('sha256').update(info).digest() };
}

/** nonce = prefix (7) ‖ segment counter (4, big-endian) ‖ last-segment flag (1). */
export function segmentNonce(prefix: Buffer, counter: number, last: boolean): Buffer {
  const nonce = Buffer.allocUnsafe(12);
  prefix.copy(nonce, 0);
  nonce.writeUInt32BE(counter, NONCE_PREFIX_LENGTH);
  nonce[11] = last ? 1 : 0;
  return nonce;
}

/** Everything a sealer needs for one blob: header bytes, derived keys, nonce prefix, segment size. Internal. */
export interface SealState {
  readonly header: Buffer;
  readonly keys: BlobKeys;
  readonly noncePrefix: Buffer;
  readonly segmentSize: number;
}

/**
 * Draws a fresh salt and nonce prefix and derives the blob keys. `fixed` exists only so tests can show two sealing
 * paths give identical bytes; production callers never pass it (callers never choose IVs).
 */
export function newSealState(options: SealOptions, fixed?: { salt: Buffer; noncePrefix: Buffer }): SealState {
  assertContext(options.context);
  const segmentSize = options.segmentSize ?? DEFAULT_SEGMENT_SIZE;
  const salt = fixed?.salt ?? randomBytes(SALT_LENGTH);
  const noncePrefix = fixed?.noncePrefix ?? randomBytes(NONCE_PREFIX_LENGTH);
  const boundBytes = encodeBoundHeader({ segmentSize, keyId: options.dek.keyId, keyVersion: options.dek.version, salt, noncePrefix });
  const keys = deriveBlobKeys(options.dek, { boundBytes, salt, keyVersion: options.dek.version }, options.context);
  return { header: Buffer.concat([boundBytes, keys.commitment]), keys, noncePrefix, segmentSize };
}

/**
 * Incremental sealer: feed plaintext chunks, get sealed bytes back. Holds at most one segment (plus the chunk being
 * fed) in memory. The salt and nonce prefix are random per blob; callers never choose IVs.
 */
export class SealedBlobWriter {
  readonly header: Buffer;
  readonly #keys: BlobKeys;
  readonly #noncePrefix: Buffer;
  readonly #segmentSize: number;
  readonly #gcm: GcmBackend;
  readonly #inPlace: boolean;
  readonly #queue = new ByteQueue();
  #counter = 0;
  #headerSent = false;
  #finished = false;

  /** `state` is internal (tests); by default a fresh salt and nonce prefix are drawn. */
  constructor(options: SealOptions, state: SealState = newSealState(options)) {
    this.#segmentSize = state.segmentSize;
    this.#noncePrefix = state.noncePrefix;
    this.#keys = state.keys;
    this.header = state.header;
    this.#gcm = options.gcm ?? defaultGcm();
    this.#inPlace = options.consumeInput === true;
  }

  push(chunk: Uint8Array): Buffer[] {
    if (this.#finished) throw new Error('SealedBlobWriter: push after finish');
    const out = this.#takeHeader();
    this.#queue.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    // A segment is sealed only once a byte beyond it exists, because its nonce says whether it is the last one.
    while (this.#queue.length > this.#segmentSize) {
      this.#sealSegment(this.#queue.take(this.#segmentSize), false, out);
    }
    return out;
  }

  finish(): Buffer[] {
    if (this.#finished) throw new Error('SealedBlobWriter: finish called twice');
    const out = this.#takeHeader();
    this.#sealSegment(this.#queue.take(this.#queue.length), true, out);
    this.#finished = true;
    return out;
  }

  #takeHeader(): Buffer[] {
    if (this.#headerSent) return [];
    this.#headerSent = true;
    return [this.header];
  }

  #sealSegment(pieces: Buffer[], last: boolean, out: Buffer[]): void {
    if (this.#counter >= MAX_SEGMENTS) {
      throw new EnvelopeError('blob_too_large', 'blob exceeds 2^32 segments; use a larger segment size');
    }
    const nonce = segmentNonce(this.#noncePrefix, this.#counter, last);
    const sealed = this.#gcm.seal(this.#keys.raw, nonce, this.#keys.aad, pieces, this.#inPlace);
    for (const piece of sealed.out) out.push(piece);
    out.push(sealed.tag);
    this.#counter += 1;
  }
}

type ReaderState = 'header' | 'segments' | 'done' | 'failed';

/**
 * Incremental opener: feed sealed bytes, get plaintext back, one authenticated segment at a time. Plaintext of a
 * segment is released only after its tag verified. Holds at most one ciphertext segment plus the chunk being fed.
 */
export class SealedBlobReader {
  readonly #options: OpenOptions;
  readonly #gcm: GcmBackend;
  readonly #queue = new ByteQueue();
  #state: ReaderState = 'header';
  #header: SealedBlobHeader | undefined;
  #keys: BlobKeys | undefined;
  #counter = 0;

  constructor(options: OpenOptions) {
    assertContext(options.context);
    this.#options = options;
    this.#gcm = options.gcm ?? defaultGcm();
  }

  /** The parsed header, once enough bytes have been read. */
  get header(): SealedBlobHeader | undefined {
    return this.#header;
  }

  /**
   * The synchronous form of push once the header has been read (no promise per chunk on the hot path); undefined,
   * with nothing consumed, while the header is still pending (use push then).
   */
  pushSync(chunk: Uint8Array): Buffer[] | undefined {
    if (this.#state === 'header') return undefined;
    this.#assertUsable();
    this.#queue.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    try {
      const out: Buffer[] = [];
      const segmentLength = this.#segmentLength();
      while (this.#queue.length > segmentLength) this.#openSegment(this.#queue.take(segmentLength), false, out);
      return out;
    } catch (error) {
      this.#state = 'failed';
      throw error;
    }
  }

  async push(chunk: Uint8Array): Promise<Buffer[]> {
    this.#assertUsable();
    this.#queue.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    return this.#guard(async () => {
      const out: Buffer[] = [];
      if (this.#state === 'header' && !(await this.#readHeader())) return out;
      const segmentLength = this.#segmentLength();
      while (this.#queue.length > segmentLength) {
        this.#openSegment(this.#queue.take(segmentLength), false, out);
      }
      return out;
    });
  }

  async finish(): Promise<Buffer[]> {
    this.#assertUsable();
    return this.#guard(async () => {
      if (this.#state === 'header' && !(await this.#readHeader())) {
        throw new EnvelopeError('blob_truncated', 'sealed blob ends inside its header');
      }
      if (this.#queue.length < TAG_LENGTH) {
        throw new EnvelopeError('blob_truncated', 'sealed blob ends before its last segment');
      }
      const out: Buffer[] = [];
      this.#openSegment(this.#queue.take(this.#queue.length), true, out);
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

  #segmentLength(): number {
    return (this.#header as SealedBlobHeader).segmentSize + TAG_LENGTH;
  }

  async #readHeader(): Promise<boolean> {
    const read = await readBlobHeader(this.#queue, this.#options);
    if (read === undefined) return false;
    this.#header = read.header;
    this.#keys = read.keys;
    this.#state = 'segments';
    return true;
  }

  #openSegment(pieces: Buffer[], last: boolean, out: Buffer[]): void {
    if (this.#counter >= MAX_SEGMENTS) throw new EnvelopeError('blob_too_large', 'blob exceeds 2^32 segments');
    const { body, tail } = splitTail(pieces, TAG_LENGTH);
    const plaintext = this.#tryOpen(body, tail, last);
    if (plaintext === undefined) {
      // Tell apart a cut at a segment boundary and bytes added after the real end from a corrupt segment.
      if (this.#tryOpen(body, tail, !last) !== undefined) {
        throw last
          ? new EnvelopeError('blob_truncated', 'sealed blob was truncated at a segment boundary')
          : new EnvelopeError('blob_trailing_data', 'data after the last segment of the sealed blob');
      }
      throw new EnvelopeError('segment_authentication_failed', `segment ${this.#counter} failed authentication`);
    }
    for (const p of plaintext) out.push(p);
    this.#counter += 1;
  }

  #tryOpen(body: Buffer[], tag: Buffer, last: boolean): Buffer[] | undefined {
    const header = this.#header as SealedBlobHeader;
    const keys = this.#keys as BlobKeys;
    return this.#gcm.open(keys.raw, segmentNonce(header.noncePrefix, this.#counter, last), keys.aad, body, tag);
  }
}

/**
 * Takes a sealed blob's header off the front of `queue` once it is all there (undefined until then), resolves the DEK,
 * checks key id, version and the key commitment, and returns the header with the derived blob keys.
 */
export async function readBlobHeader(
  queue: ByteQueue,
  options: OpenOptions,
): Promise<{ header: SealedBlobHeader; keys: BlobKeys } | undefined> {
  if (queue.length < HEADER_FIXED_PREFIX) return undefined;
  const headerLength = peekHeaderLength(queue.peek(HEADER_FIXED_PREFIX));
  if (queue.length < headerLength) return undefined;
  const header = decodeHeader(Buffer.concat(queue.take(headerLength)));
  const source = options.dek;
  const dek = typeof source === 'function' ? await source({ keyId: header.keyId, keyVersion: header.keyVersion }) : source;
  if (dek.keyId !== header.keyId) {
    throw new EnvelopeError('key_id_mismatch', 'the data key id does not match the sealed blob');
  }
  if (dek.version !== header.keyVersion) {
    throw new EnvelopeError('key_version_mismatch', `the blob was sealed with key version ${header.keyVersion}, not ${dek.version}`);
  }
  const keys = deriveBlobKeys(dek, header, options.context);
  if (!timingSafeEqual(keys.commitment, header.commitment)) {
    throw new EnvelopeError('context_mismatch', 'the key, context or header does not match the sealed blob');
  }
  return { header, keys };
}
