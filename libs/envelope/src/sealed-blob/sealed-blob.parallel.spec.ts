import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { afterAll, describe, expect, it } from '@jest/globals';
import { EnvelopeError, type EnvelopeErrorCode } from '../envelope.error.js';
import { DataKey } from '../keys/data-key.js';
import { closeSharedGcmPool } from './gcm-pool.js';
import { SealedBlobWriter, newSealState, type SealContext } from './sealed-blob.cipher.js';
import { ParallelSealedBlobWriter } from './sealed-blob.parallel.js';
import { createOpenStream, createSealStream, openBuffer, openIterable, sealBuffer, sealIterable } from './sealed-blob.stream.js';

const context: SealContext = { tenantId: 'tenant-a', datasetId: 'ds-par' };
const SEG = 1024;
const CT_SEG = SEG + 16;

afterAll(async () => {
  await closeSharedGcmPool();
});

function chunksOf(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer> {
  const out: Buffer[] = [];
  for await (const p of source) out.push(p);
  return Buffer.concat(out);
}

async function codeOf(promise: Promise<unknown>): Promise<EnvelopeErrorCode | undefined> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnvelopeError);
  return (error as EnvelopeError).code;
}

const openPar = (blob: Buffer, dek: DataKey, ctx = context): Promise<Buffer> =>
  collect(openIterable(chunksOf(blob, 777), { dek, context: ctx, parallelism: 3 }));

describe('parallel sealing on the worker pool', () => {
  const dek = DataKey.generate({ keyId: 'dek-p', version: 2 });
  const sizes = [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG, 17 * SEG, 17 * SEG + 5];

  it.each(sizes)('seals %i bytes byte-identically to the serial writer for the same salt and nonce prefix', async (size) => {
    const plaintext = randomBytes(size);
    const fixed = { salt: randomBytes(32), noncePrefix: randomBytes(7) };
    const options = { dek, context, segmentSize: SEG, parallelism: 2 };
    const serialWriter = new SealedBlobWriter(options, newSealState(options, fixed));
    const serial = Buffer.concat([...serialWriter.push(plaintext), ...serialWriter.finish()]);
    const parallelWriter = new ParallelSealedBlobWriter(options, newSealState(options, fixed));
    const pieces: Buffer[] = [];
    for (const chunk of chunksOf(plaintext, 333)) pieces.push(...(await parallelWriter.push(chunk)));
    pieces.push(...(await parallelWriter.finish()));
    const parallel = Buffer.concat(pieces);
    expect(parallel.equals(serial)).toBe(true);
    // Either blob opens either way.
    expect((await openBuffer(parallel, { dek, context })).equals(plaintext)).toBe(true);
    expect((await openPar(serial, dek)).equals(plaintext)).toBe(true);
  });

  it('round-trips multi-MB data through the parallel Transform streams, interoperating with the serial ones', async () => {
    const plaintext = randomBytes(3 * 1024 * 1024 + 4321);
    const sealedPar = await collect(
      Readable.from(chunksOf(plaintext, 64 * 1024)).pipe(createSealStream({ dek, context, segmentSize: 64 * 1024, parallelism: 4 })),
    );
    const sealedSer = await collect(Readable.from(chunksOf(plaintext, 64 * 1024)).pipe(createSealStream({ dek, context, segmentSize: 64 * 1024 })));
    expect(sealedPar.length).toBe(sealedSer.length);
    for (const [blob, parallelism] of [
      [sealedPar, 1],
      [sealedPar, 4],
      [sealedSer, 4],
    ] as const) {
      const opened = await collect(Readable.from(chunksOf(blob, 50_000)).pipe(createOpenStream({ dek, context, parallelism })));
      expect(opened.equals(plaintext)).toBe(true);
    }
    const viaIterable = await collect(sealIterable(chunksOf(plaintext, 10_000), { dek, context, parallelism: 2 }));
    expect((await openBuffer(viaIterable, { dek, context })).equals(plaintext)).toBe(true);
  });
});

describe('parallel opening rejects tampering with the same codes as the serial reader', () => {
  const dek = DataKey.generate({ keyId: 'dek-t', version: 3 });
  const plaintext = randomBytes(6 * SEG + 100);
  const sealed = sealBuffer(plaintext, { dek, context, segmentSize: SEG });
  const h = sealed.readUInt16BE(5);
  const segment = (blob: Buffer, i: number): Buffer => blob.subarray(h + i * CT_SEG, h + (i + 1) * CT_SEG);
  const aligned = sealBuffer(randomBytes(4 * SEG), { dek, context, segmentSize: SEG });

  type Case = [string, () => Buffer, EnvelopeErrorCode, DataKey | undefined, SealContext | undefined];
  const rows: [string, () => Buffer, EnvelopeErrorCode, DataKey?, SealContext?][] = [
    ['truncated at a segment boundary', () => sealed.subarray(0, h + 3 * CT_SEG), 'blob_truncated'],
    ['truncated inside a segment', () => sealed.subarray(0, sealed.length - 1), 'segment_authentication_failed'],
    ['cut to the bare header', () => sealed.subarray(0, h), 'blob_truncated'],
    ['cut inside the header', () => sealed.subarray(0, h - 1), 'blob_truncated'],
    ['trailing data after an aligned blob', () => Buffer.concat([aligned, segment(aligned, 0)]), 'blob_trailing_data'],
    ['reordered segments', () => Buffer.concat([sealed.subarray(0, h), segment(sealed, 1), segment(sealed, 0), sealed.subarray(h + 2 * CT_SEG)]), 'segment_authentication_failed'],
    [
      'segment swapped from another blob',
      () => {
        const other = sealBuffer(randomBytes(plaintext.length), { dek, context, segmentSize: SEG });
        return Buffer.concat([sealed.subarray(0, h + 2 * CT_SEG), segment(other, 2), sealed.subarray(h + 3 * CT_SEG)]);
      },
      'segment_authentication_failed',
    ],
    ['wrong context', () => sealed, 'context_mismatch', undefined, { ...context, datasetId: 'other' }],
    ['wrong key version', () => sealed, 'key_version_mismatch', DataKey.generate({ keyId: 'dek-t', version: 4 })],
  ];

  // Every row has all five cells (jest would take a missing trailing argument for a done callback).
  const cases: Case[] = rows.map(([name, blob, code, otherDek, otherContext]) => [name, blob, code, otherDek, otherContext]);

  it.each(cases)('%s', async (_name, blob, code, otherDek, otherContext) => {
    const serialCode = await codeOf(openBuffer(blob(), { dek: otherDek ?? dek, context: otherContext ?? context }));
    expect(serialCode).toBe(code);
    expect(await codeOf(openPar(blob(), otherDek ?? dek, otherContext ?? context))).toBe(code);
  });

  it('releases no plaintext of a corrupt segment or anything after it', async () => {
    const tampered = Buffer.from(sealed);
    tampered[h + 2 * CT_SEG + 5] = (tampered[h + 2 * CT_SEG + 5] as number) ^ 1;
    const out: Buffer[] = [];
    const error = await pipeline(
      Readable.from(chunksOf(tampered, 300)),
      createOpenStream({ dek, context, parallelism: 4 }),
      async function* (src: AsyncIterable<Buffer>) {
        for await (const p of src) out.push(p);
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as EnvelopeError).code).toBe('segment_authentication_failed');
    const released = Buffer.concat(out);
    expect(released.length).toBeLessThanOrEqual(2 * SEG);
    expect(released.equals(plaintext.subarray(0, released.length))).toBe(true);
  });
});
