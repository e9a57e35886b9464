import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EnvelopeError } from '../envelope.error.js';
import { DataKey } from '../keys/data-key.js';
import { createOpenStream, createSealStream } from '../sealed-blob/sealed-blob.stream.js';
import { LocalFsBlobStore } from './local-fs-blob.store.js';

let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'confide-blobs-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function collect(stream: AsyncIterable<Uint8Array>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of stream) parts.push(Buffer.from(part));
  return Buffer.concat(parts);
}

describe('LocalFsBlobStore', () => {
  it('stores a sealed stream and reads it back through the opener', async () => {
    const store = new LocalFsBlobStore(root);
    const dek = DataKey.generate();
    const context = { tenantId: 't1', datasetId: 'd1' };
    const plaintext = randomBytes(700_000);
    const result = await store.put('t1/d1/blob-1', Readable.from([plaintext]).pipe(createSealStream({ dek, context })));
    expect(result.bytes).toBeGreaterThan(plaintext.length);
    expect(await store.exists('t1/d1/blob-1')).toBe(true);
    expect((await stat(join(root, 't1/d1/blob-1'))).mode & 0o777).toBe(0o600);
    const opened = await collect((await store.get('t1/d1/blob-1')).pipe(createOpenStream({ dek, context })));
    expect(opened.equals(plaintext)).toBe(true);
    expect(await store.delete('t1/d1/blob-1')).toBe(true);
    expect(await store.delete('t1/d1/blob-1')).toBe(false);
    await expect(store.get('t1/d1/blob-1')).rejects.toMatchObject({ code: 'blob_not_found' });
  });

  it('leaves nothing behind (and keeps the previous object) when the source fails midway', async () => {
    const store = new LocalFsBlobStore(root);
    await store.put('keep/a', [Buffer.from('old')]);
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.alloc(1000, 1);
      throw new Error('client went away');
    }
    await expect(store.put('keep/a', failing())).rejects.toMatchObject({ code: 'blob_write_failed' });
    expect((await collect(await store.get('keep/a'))).toString()).toBe('old');
    expect(await readdir(join(root, 'keep'))).toEqual(['a']);
  });

  it('enforces a size limit while streaming', async () => {
    const store = new LocalFsBlobStore(root);
    const chunks = Array.from({ length: 10 }, () => Buffer.alloc(1000));
    await expect(store.put('limited/x', chunks, { maxBytes: 5000 })).rejects.toMatchObject({ code: 'blob_size_limit_exceeded' });
    expect(await store.exists('limited/x')).toBe(false);
    expect(await readdir(join(root, 'limited'))).toEqual([]);
  });

  it('deletes everything under a prefix, half-written files included, and nothing beside it', async () => {
    const store = new LocalFsBlobStore(root);
    await store.put('uploads/u1/0-a.sealed', [Buffer.from('a')]);
    await store.put('uploads/u1/1-b.sealed', [Buffer.from('b')]);
    await store.put('uploads/u2/0-c.sealed', [Buffer.from('c')]);
    async function* failing(): AsyncGenerator<Buffer> {
      yield Buffer.from('x');
      throw new Error('cut');
    }
    await expect(store.put('uploads/u1/2-c.sealed', failing())).rejects.toMatchObject({ code: 'blob_write_failed' });
    expect(await store.deletePrefix('uploads/u1')).toBe(2);
    expect(await store.exists('uploads/u1/0-a.sealed')).toBe(false);
    expect(await store.exists('uploads/u2/0-c.sealed')).toBe(true);
    expect(await store.deletePrefix('uploads/u1')).toBe(0);
    await expect(store.deletePrefix('../x')).rejects.toMatchObject({ code: 'blob_key_invalid' });
  });

  it.each(['../etc/passwd', '/abs', 'a//b', 'a/../b', '.hidden', 'a/.tmp-x', 'C:\\x', 'x\u0000', '', 'a'.repeat(600), '..', 'a/./b'])(
    'rejects the key %j',
    async (key) => {
      const store = new LocalFsBlobStore(root);
      for (const call of [() => store.put(key, [Buffer.from('x')]), () => store.get(key), () => store.exists(key), () => store.delete(key)]) {
        const error = await call().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(error).toBeInstanceOf(EnvelopeError);
        expect((error as EnvelopeError).code).toBe('blob_key_invalid');
      }
    },
  );
});
