import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from '@jest/globals';
import { EnvelopeError, type EnvelopeErrorCode } from '../envelope.error.js';
import { DataKey } from '../keys/data-key.js';
import { NATIVE_GCM_FILE, availableGcmBackends, nativeGcmStatus, nodeGcm, type GcmBackend } from '../primitives/gcm-backend.js';
import { SealedBlobWriter, newSealState, type SealContext } from './sealed-blob.cipher.js';
import { readSealedBlobHeader, createOpenStream, createSealStream, openBuffer, openIterable, sealBuffer, sealIterable } from './sealed-blob.stream.js';

const context: SealContext = { tenantId: 'tenant-a', datasetId: 'ds-1' };
const SEG = 1024;
const CT_SEG = SEG + 16;

function headerLength(blob: Buffer): number {
  return blob.readUInt16BE(5);
}

async function expectCode(promise: Promise<unknown>, code: EnvelopeErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnvelopeError);
  expect((error as EnvelopeError).code).toBe(code);
}

function chunksOf(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) out.push(data.subarray(i, i + size));
  return out;
}

// Every test runs through each AES-GCM backend built here (native addon and node:crypto, or node:crypto alone).
describe.each(availableGcmBackends().map((gcm) => [gcm.name, gcm] as const))('sealed blobs through %s', (_name, gcm) => {
describe('sealed blob round trip', () => {
  const dek = DataKey.generate();
  const sizes = [0, 1, SEG - 1, SEG, SEG + 1, 2 * SEG - 1, 2 * SEG, 2 * SEG + 1, 10 * SEG, 10 * SEG + 17];

  it.each(sizes)('round-trips %i bytes through buffers and with odd chunking', async (size) => {
    const plaintext = randomBytes(size);
    const sealed = sealBuffer(plaintext, { gcm, dek, context, segmentSize: SEG });
    const segments = Math.max(1, Math.ceil(size / SEG));
    expect(sealed.length).toBe(headerLength(sealed) + size + 16 * segments);
    expect(await openBuffer(sealed, { gcm, dek, context })).toEqual(plaintext);

    const sealedPieces: Buffer[] = [];
    for await (const piece of sealIterable(chunksOf(plaintext, 333), { gcm, dek, context, segmentSize: SEG })) sealedPieces.push(piece);
    const resealed = Buffer.concat(sealedPieces);
    const opened: Buffer[] = [];
    for await (const piece of openIterable(chunksOf(resealed, 97), { gcm, dek, context })) opened.push(piece);
    expect(Buffer.concat(opened)).toEqual(plaintext);
  });

  it('round-trips multi-MB data through Transform streams with bounded chunks', async () => {
    const size = 5 * 1024 * 1024 + 12345;
    const plaintext = randomBytes(size);
    let opened = 0;
    await pipeline(
      Readable.from(chunksOf(plaintext, 64 * 1024)),
      createSealStream({ gcm, dek, context, segmentSize: 256 * 1024 }),
      createOpenStream({ gcm, dek: (ref) => (ref.keyId === dek.keyId ? dek : DataKey.generate()), context }),
      async function* (source: AsyncIterable<Buffer>) {
        const hash = createHash('sha256');
        for await (const piece of source) {
          opened += piece.length;
          hash.update(piece);
        }
        expect(hash.digest().equals(createHash('sha256').update(plaintext).digest())).toBe(true);
      },
    );
    expect(opened).toBe(size);
  });

  it('never reuses a salt or nonce prefix between blobs of the same key', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const header = readSealedBlobHeader(sealBuffer(Buffer.alloc(0), { gcm, dek, context }));
      seen.add(header.salt.toString('hex') + header.noncePrefix.toString('hex'));
    }
    expect(seen.size).toBe(200);
  });

  it('exposes the key reference in the header', () => {
    const sealed = sealBuffer(Buffer.from('x'), { gcm, dek, context, segmentSize: SEG });
    const header = readSealedBlobHeader(sealed);
    expect(header).toMatchObject({ keyId: dek.keyId, keyVersion: 1, segmentSize: SEG });
  });
});

describe('sealed blob tampering', () => {
  const dek = DataKey.generate({ keyId: 'dek-1', version: 3 });
  const plaintext = randomBytes(4 * SEG + 100);
  const sealed = sealBuffer(plaintext, { gcm, dek, context, segmentSize: SEG });
  const h = headerLength(sealed);
  const segment = (blob: Buffer, i: number): Buffer => blob.subarray(h + i * CT_SEG, h + (i + 1) * CT_SEG);
  const open = (blob: Buffer, overrides: Partial<{ dek: DataKey; context: SealContext }> = {}): Promise<Buffer> =>
    openBuffer(blob, { gcm, dek: overrides.dek ?? dek, context: overrides.context ?? context });

  it('opens the untouched blob', async () => {
    expect(await open(sealed)).toEqual(plaintext);
  });

  it('truncation at a segment boundary fails as blob_truncated', async () => {
    await expectCode(open(sealed.subarray(0, h + 2 * CT_SEG)), 'blob_truncated');
    await expectCode(open(sealed.subarray(0, h + CT_SEG)), 'blob_truncated');
  });

  it('truncation inside a segment, to the bare header, or inside the header fails', async () => {
    await expectCode(open(sealed.subarray(0, sealed.length - 1)), 'segment_authentication_failed');
    await expectCode(open(sealed.subarray(0, h)), 'blob_truncated');
    await expectCode(open(sealed.subarray(0, h + 5)), 'blob_truncated');
    await expectCode(open(sealed.subarray(0, h - 1)), 'blob_truncated');
    await expectCode(open(sealed.subarray(0, 3)), 'blob_truncated');
  });

  it('extension after the last segment fails', async () => {
    // The final segment here is partial, so appended bytes merge into it and break its tag.
    await expectCode(open(Buffer.concat([sealed, Buffer.from([0])])), 'segment_authentication_failed');
    await expectCode(open(Buffer.concat([sealed, segment(sealed, 0)])), 'segment_authentication_failed');
    // When the blob ends on a segment boundary, the intact final segment is recognised: blob_trailing_data.
    const aligned = sealBuffer(randomBytes(3 * SEG), { gcm, dek, context, segmentSize: SEG });
    await expectCode(open(Buffer.concat([aligned, Buffer.from([0])])), 'blob_trailing_data');
    await expectCode(open(Buffer.concat([aligned, segment(aligned, 0)])), 'blob_trailing_data');
  });

  it('reordering segments fails', async () => {
    const swapped = Buffer.concat([sealed.subarray(0, h), segment(sealed, 1), segment(sealed, 0), sealed.subarray(h + 2 * CT_SEG)]);
    await expectCode(open(swapped), 'segment_authentication_failed');
  });

  it('dropping a middle segment fails', async () => {
    const dropped = Buffer.concat([sealed.subarray(0, h + CT_SEG), sealed.subarray(h + 2 * CT_SEG)]);
    await expectCode(open(dropped), 'segment_authentication_failed');
  });

  it('a segment swapped in from another blob of the same key and context fails', async () => {
    const other = sealBuffer(randomBytes(plaintext.length), { gcm, dek, context, segmentSize: SEG });
    const mixed = Buffer.concat([sealed.subarray(0, h + CT_SEG), segment(other, 1), sealed.subarray(h + 2 * CT_SEG)]);
    await expectCode(open(mixed), 'segment_authentication_failed');
  });

  it('a header swapped in from another blob fails the commitment check', async () => {
    const other = sealBuffer(randomBytes(plaintext.length), { gcm, dek, context, segmentSize: SEG });
    await expectCode(open(Buffer.concat([other.subarray(0, h), sealed.subarray(h)])), 'segment_authentication_failed');
  });

  it('a changed context fails as context_mismatch', async () => {
    await expectCode(open(sealed, { context: { ...context, tenantId: 'tenant-b' } }), 'context_mismatch');
    await expectCode(open(sealed, { context: { ...context, datasetId: 'ds-2' } }), 'context_mismatch');
  });

  it('a wrong key version or key id fails with its code, a wrong key with the same id as context_mismatch', async () => {
    await expectCode(open(sealed, { dek: DataKey.generate({ keyId: 'dek-1', version: 4 }) }), 'key_version_mismatch');
    await expectCode(open(sealed, { dek: DataKey.generate({ keyId: 'dek-2', version: 3 }) }), 'key_id_mismatch');
    await expectCode(open(sealed, { dek: DataKey.generate({ keyId: 'dek-1', version: 3 }) }), 'context_mismatch');
  });

  it('editing the key version in the header to match another key fails', async () => {
    const edited = Buffer.from(sealed);
    edited.writeUInt32BE(4, 11);
    await expectCode(open(edited, { dek: DataKey.fromBytes('dek-1', 4, dek.exportBytes()) }), 'context_mismatch');
  });

  it('every single-bit flip anywhere in a small blob is detected', async () => {
    const small = sealBuffer(randomBytes(200), { gcm, dek, context, segmentSize: 64 });
    for (let i = 0; i < small.length; i++) {
      const flipped = Buffer.from(small);
      flipped[i] = (flipped[i] as number) ^ (1 << i % 8);
      const error = await open(flipped).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(EnvelopeError);
    }
  });

  it('bad magic, unsupported version and malformed header lengths are typed', async () => {
    const badMagic = Buffer.from(sealed);
    badMagic[0] = 0x58;
    await expectCode(open(badMagic), 'header_bad_magic');
    const badVersion = Buffer.from(sealed);
    badVersion[4] = 2;
    await expectCode(open(badVersion), 'header_unsupported_version');
    const badLength = Buffer.from(sealed);
    badLength.writeUInt16BE(5000, 5);
    await expectCode(open(badLength), 'header_malformed');
  });

  it('a stream that fails emits an EnvelopeError and no plaintext of the bad segment', async () => {
    const tampered = Buffer.from(sealed);
    tampered.writeUInt8(tampered.readUInt8(h + CT_SEG + 5) ^ 1, h + CT_SEG + 5);
    const out: Buffer[] = [];
    const error = await pipeline(Readable.from(chunksOf(tampered, 300)), createOpenStream({ gcm, dek, context }), async function* (src: AsyncIterable<Buffer>) {
      for await (const p of src) out.push(p);
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((error as EnvelopeError).code).toBe('segment_authentication_failed');
    const released = Buffer.concat(out);
    expect(released.length).toBeLessThanOrEqual(SEG);
    expect(released.equals(plaintext.subarray(0, released.length))).toBe(true);
  });

  it('rejects an invalid context or segment size before sealing', () => {
    expect(() => sealBuffer(Buffer.alloc(1), { gcm, dek, context: { tenantId: '', datasetId: 'x' } })).toThrow(EnvelopeError);
    expect(() => sealBuffer(Buffer.alloc(1), { gcm, dek, context, segmentSize: 10 })).toThrow(EnvelopeError);
  });
});
});

describe('AES-GCM backends', () => {
  it('the native addon is in use whenever it is built (so its tests above cannot be skipped silently)', () => {
    const built = existsSync(join(process.cwd(), NATIVE_GCM_FILE)) && process.env.CONFIDE_NATIVE_GCM !== 'off';
    expect(nativeGcmStatus()).toMatch(built ? /^loaded / : /not built|disabled/);
    expect(availableGcmBackends().map((b) => b.name)).toEqual(built ? ['native-openssl', 'node-crypto'] : ['node-crypto']);
  });

  it('every backend, in place or not, gives the same bytes, and each opens what the others sealed', async () => {
    const dek = DataKey.generate();
    const fixed = { salt: randomBytes(32), noncePrefix: randomBytes(7) };
    const plaintext = randomBytes(5 * SEG + 77);
    const seal = (gcm: GcmBackend, consumeInput: boolean): Buffer => {
      const options = { gcm, dek, context, segmentSize: SEG, consumeInput };
      const writer = new SealedBlobWriter(options, newSealState(options, fixed));
      // Fresh copies: with consumeInput the writer may overwrite what it is given.
      const out = chunksOf(plaintext, 700).flatMap((c) => writer.push(Buffer.from(c)));
      return Buffer.concat([...out, ...writer.finish()]);
    };
    const reference = seal(nodeGcm, false);
    for (const gcm of availableGcmBackends()) {
      expect(seal(gcm, false).equals(reference)).toBe(true);
      expect(seal(gcm, true).equals(reference)).toBe(true);
      expect((await openBuffer(reference, { gcm, dek, context })).equals(plaintext)).toBe(true);
    }
  });

  it('without consumeInput the chunks a caller pushes are never modified', () => {
    const dek = DataKey.generate();
    for (const gcm of availableGcmBackends()) {
      const chunk = randomBytes(3 * SEG);
      const copy = Buffer.from(chunk);
      sealBuffer(chunk, { gcm, dek, context, segmentSize: SEG });
      expect(chunk.equals(copy)).toBe(true);
    }
  });
});
