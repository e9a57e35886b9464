import { Transform, type TransformCallback } from 'node:stream';
import { SealedBlobReader, SealedBlobWriter, type OpenOptions, type SealOptions } from './sealed-blob.cipher.js';
import { decodeHeader, type SealedBlobHeader } from './sealed-blob.header.js';
import { ParallelSealedBlobReader, ParallelSealedBlobWriter } from './sealed-blob.parallel.js';

const parallel = (options: { parallelism?: number }): boolean => (options.parallelism ?? 1) > 1;

/** An async Transform over a push/finish codec (the worker-pool forms). */
function asyncTransform(codec: { push(c: Uint8Array): Promise<Buffer[]>; finish(): Promise<Buffer[]> }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      codec.push(chunk).then(
        (pieces) => {
          for (const piece of pieces) this.push(piece);
          callback();
        },
        (error: unknown) => callback(error as Error),
      );
    },
    flush(callback: TransformCallback) {
      codec.finish().then(
        (pieces) => {
          for (const piece of pieces) this.push(piece);
          callback();
        },
        (error: unknown) => callback(error as Error),
      );
    },
  });
}

/** A Transform: plaintext in, sealed blob out. Memory stays bounded by one segment plus the chunk in flight. */
export function createSealStream(options: SealOptions): Transform {
  if (parallel(options)) return asyncTransform(new ParallelSealedBlobWriter(options));
  const writer = new SealedBlobWriter(options);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      try {
        for (const piece of writer.push(chunk)) this.push(piece);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        for (const piece of writer.finish()) this.push(piece);
        callback();
      } catch (error) {
        callback(error as Error);
      }
    },
  });
}

/**
 * A Transform: sealed blob in, plaintext out. Each segment is released only after its tag verified; a failure
 * destroys the stream with an EnvelopeError. Consumers must treat output as untrusted until the stream ends
 * cleanly (a truncated blob is detected only at its end).
 */
export function createOpenStream(options: OpenOptions): Transform {
  if (parallel(options)) return asyncTransform(new ParallelSealedBlobReader(options));
  const reader = new SealedBlobReader(options);
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      // After the header, segments open synchronously: no promise and microtask hop per chunk.
      let ready: Buffer[] | undefined;
      try {
        ready = reader.pushSync(chunk);
      } catch (error) {
        callback(error as Error);
        return;
      }
      if (ready !== undefined) {
        for (const piece of ready) this.push(piece);
        callback();
        return;
      }
      reader.push(chunk).then(
        (pieces) => {
          for (const piece of pieces) this.push(piece);
          callback();
        },
        (error: unknown) => callback(error as Error),
      );
    },
    flush(callback: TransformCallback) {
      reader.finish().then(
        (pieces) => {
          for (const piece of pieces) this.push(piece);
          callback();
        },
        (error: unknown) => callback(error as Error),
      );
    },
  });
}

export async function* sealIterable(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: SealOptions,
): AsyncGenerator<Buffer> {
  if (parallel(options)) {
    const writer = new ParallelSealedBlobWriter(options);
    for await (const chunk of source) yield* await writer.push(chunk);
    yield* await writer.finish();
    return;
  }
  const writer = new SealedBlobWriter(options);
  for await (const chunk of source) yield* writer.push(chunk);
  yield* writer.finish();
}

export async function* openIterable(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  options: OpenOptions,
): AsyncGenerator<Buffer> {
  if (parallel(options)) {
    const reader = new ParallelSealedBlobReader(options);
    for await (const chunk of source) yield* await reader.push(chunk);
    yield* await reader.finish();
    return;
  }
  const reader = new SealedBlobReader(options);
  for await (const chunk of source) yield* reader.pushSync(chunk) ?? (await reader.push(chunk));
  yield* await reader.finish();
}

/** Seals a small in-memory value (wrapped secrets, manifests). Use the streaming forms for datasets. */
export function sealBuffer(plaintext: Uint8Array, options: SealOptions): Buffer {
  const writer = new SealedBlobWriter(options);
  return Buffer.concat([...writer.push(plaintext), ...writer.finish()]);
}

export async function openBuffer(sealed: Uint8Array, options: OpenOptions): Promise<Buffer> {
  const reader = new SealedBlobReader(options);
  return Buffer.concat([...(await reader.push(sealed)), ...(await reader.finish())]);
}

/**
 * Parses a sealed blob's header (key id, key version, segment size) so a caller can fetch the right DEK.
 * Nothing in it is authenticated until the blob is opened.
 */
export function readSealedBlobHeader(prefix: Uint8Array): Omit<SealedBlobHeader, 'boundBytes'> {
  const { boundBytes: _bound, ...header } = decodeHeader(Buffer.from(prefix));
  return header;
}
