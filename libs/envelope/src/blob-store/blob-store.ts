import type { Readable } from 'node:stream';
import { EnvelopeError } from '../envelope.error.js';

export interface BlobPutOptions {
  /** Abort (and leave nothing behind) once more than this many bytes arrive. */
  readonly maxBytes?: number;
}

export interface BlobPutResult {
  readonly key: string;
  readonly bytes: number;
}

/**
 * Where sealed blobs live. `put` consumes a stream and makes the object visible only once the whole stream was
 * written (local: temp file + fsync + rename; S3: multipart upload completed on success, aborted on error), so a
 * reader never sees a half-written blob. Keys are server-generated ids, never user-supplied names.
 */
export interface BlobStore {
  put(key: string, source: AsyncIterable<Uint8Array> | Iterable<Uint8Array> | Readable, options?: BlobPutOptions): Promise<BlobPutResult>;
  /** A stream of the stored bytes; fails with `blob_not_found`. */
  get(key: string): Promise<Readable>;
  /** True when something was deleted. */
  delete(key: string): Promise<boolean>;
  exists(key: string): Promise<boolean>;
  /**
   * Deletes every object under `prefix/` (a key-shaped folder, e.g. one upload's staged chunks), including anything a
   * crashed writer left half-written there. Returns how many objects were deleted.
   */
  deletePrefix(prefix: string): Promise<number>;
}

const SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** Keys are `/`-separated segments of [A-Za-z0-9._-], no empty, dot-only or hidden segments, at most 512 chars. */
export function assertBlobKey(key: string): void {
  const ok =
    typeof key === 'string' &&
    key.length > 0 &&
    key.length <= 512 &&
    key.split('/').every((segment) => SEGMENT.test(segment) && !/^\.+$/.test(segment));
  if (!ok) throw new EnvelopeError('blob_key_invalid', 'blob keys are /-separated segments of [A-Za-z0-9._-]');
}
