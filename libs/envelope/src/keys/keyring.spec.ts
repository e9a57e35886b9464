import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { EnvelopeError, type EnvelopeErrorCode } from '../envelope.error.js';
import { openBuffer, sealBuffer } from '../sealed-blob/sealed-blob.stream.js';
import { DataKey } from './data-key.js';
import { Keyring, type DekBinding } from './keyring.js';
import { LocalFileKekProvider } from './local-file-kek.provider.js';
import { decodeWrappedDek, encodeWrappedDek, wrappedDekFromString, wrappedDekToString } from './wrapped-dek.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'confide-kek-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function expectCode(promise: Promise<unknown>, code: EnvelopeErrorCode): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(EnvelopeError);
  expect((error as EnvelopeError).code).toBe(code);
}

const binding: DekBinding = { tenantId: 'tenant-a', datasetId: 'ds-1' };
let n = 0;
const freshPath = (): string => join(dir, `kek-${++n}.json`);

describe('LocalFileKekProvider', () => {
  it('creates the key file with mode 0600 and loads it back', async () => {
    const path = freshPath();
    const created = await LocalFileKekProvider.create(path, { kekId: 'local-test' });
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const loaded = await LocalFileKekProvider.load(path);
    expect(await loaded.describe()).toEqual(await created.describe());
    const wrapped = await created.wrap(Buffer.from('secret'), Buffer.from('aad'));
    expect(Buffer.from(await loaded.unwrap(wrapped, Buffer.from('aad'))).toString()).toBe('secret');
  });

  it('gives every concurrent first start the same key (exactly one creator wins, nobody reads a half-written file)', async () => {
    const path = freshPath();
    const providers = await Promise.all(Array.from({ length: 8 }, () => LocalFileKekProvider.loadOrCreate(path)));
    const wrapped = await providers[0]!.wrap(Buffer.from('secret'), Buffer.from('aad'));
    for (const p of providers) expect(Buffer.from(await p.unwrap(wrapped, Buffer.from('aad'))).toString()).toBe('secret');
    await expectCode(LocalFileKekProvider.create(path), 'kek_file_exists');
  });

  it.each([0o640, 0o644, 0o604, 0o660, 0o602])('refuses to load a key file with mode %o', async (mode) => {
    const path = freshPath();
    await LocalFileKekProvider.create(path);
    await chmod(path, mode);
    await expectCode(LocalFileKekProvider.load(path), 'kek_file_permissions');
  });

  it('refuses a missing, malformed or non-regular key file with typed errors', async () => {
    await expectCode(LocalFileKekProvider.load(join(dir, 'nope.json')), 'kek_file_missing');
    const path = freshPath();
    await writeFile(path, '{"format":"confide-local-kek/v1","kekId":"x","versions":[]}', { mode: 0o600 });
    await expectCode(LocalFileKekProvider.load(path), 'kek_file_malformed');
    await expectCode(LocalFileKekProvider.load(dir), 'kek_file_malformed');
  });

  it('does not overwrite an existing key file on create; loadOrCreate reuses it', async () => {
    const path = freshPath();
    const first = await LocalFileKekProvider.loadOrCreate(path);
    await expectCode(LocalFileKekProvider.create(path), 'kek_file_exists');
    const again = await LocalFileKekProvider.loadOrCreate(path);
    expect((await again.describe()).kekId).toBe((await first.describe()).kekId);
  });

  it('rotation keeps the file private and persists the new primary', async () => {
    const path = freshPath();
    const provider = await LocalFileKekProvider.create(path);
    await provider.rotate();
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    const reloaded = await LocalFileKekProvider.load(path);
    const description = await reloaded.describe();
    expect(description.primaryVersion).toBe(2);
    expect(description.versions.map((v) => v.state)).toEqual(['enabled', 'primary']);
    expect(JSON.parse(await readFile(path, 'utf8')).versions).toHaveLength(2);
  });

  it('rejects unwrap under different AAD or a relabelled KEK version', async () => {
    const provider = await LocalFileKekProvider.create(freshPath());
    await provider.rotate();
    const wrapped = await provider.wrap(Buffer.alloc(32, 7), Buffer.from('aad'));
    await expectCode(provider.unwrap(wrapped, Buffer.from('aae')), 'dek_unwrap_failed');
    await expectCode(provider.unwrap({ ...wrapped, kekVersion: 1 }, Buffer.from('aad')), 'dek_unwrap_failed');
    await expectCode(provider.unwrap({ ...wrapped, kekVersion: 9 }, Buffer.from('aad')), 'kek_version_unknown');
    await expectCode(provider.unwrap({ ...wrapped, kekId: 'other' }, Buffer.from('aad')), 'kek_id_mismatch');
  });
});

describe('Keyring', () => {
  it('generates, wraps and unwraps a DEK bound to tenant and dataset', async () => {
    const keyring = new Keyring(await LocalFileKekProvider.create(freshPath()));
    const { dek, wrapped } = await keyring.generateDek(binding, { keyId: 'dek-a' });
    expect(wrapped).toMatchObject({ keyId: 'dek-a', keyVersion: 1, kekVersion: 1 });
    expect(Buffer.from(wrapped.ciphertext).includes(Buffer.from(dek.exportBytes()))).toBe(false);
    const unwrapped = await keyring.unwrapDek(wrappedDekToString(wrapped), binding);
    expect(Buffer.from(unwrapped.exportBytes())).toEqual(Buffer.from(dek.exportBytes()));
    expect(unwrapped.keyId).toBe('dek-a');
  });

  it('refuses to unwrap for another tenant or dataset, or with a relabelled DEK id/version', async () => {
    const keyring = new Keyring(await LocalFileKekProvider.create(freshPath()));
    const wrapped = await keyring.generateWrappedDek(binding);
    await expectCode(keyring.unwrapDek(wrapped, { ...binding, tenantId: 'tenant-b' }), 'dek_unwrap_failed');
    await expectCode(keyring.unwrapDek(wrapped, { ...binding, datasetId: 'ds-2' }), 'dek_unwrap_failed');
    await expectCode(keyring.unwrapDek({ ...wrapped, keyId: 'other' }, binding), 'dek_unwrap_failed');
    await expectCode(keyring.unwrapDek({ ...wrapped, keyVersion: 2 }, binding), 'dek_unwrap_failed');
    const flipped = Buffer.from(wrapped.ciphertext);
    flipped.writeUInt8(flipped.readUInt8(20) ^ 1, 20);
    await expectCode(keyring.unwrapDek({ ...wrapped, ciphertext: flipped }, binding), 'dek_unwrap_failed');
  });

  it('rotate + rewrap moves DEKs to the primary version; retiring old versions blocks stale wraps', async () => {
    const keyring = new Keyring(await LocalFileKekProvider.create(freshPath()));
    const { dek, wrapped: v1 } = await keyring.generateDek(binding);
    const sealed = sealBuffer(Buffer.from('dataset rows'), { dek, context: binding });

    const rotated = await keyring.rotate();
    expect(rotated.primaryVersion).toBe(2);
    expect(await keyring.needsRewrap(v1)).toBe(true);
    // Old version still unwraps until retired.
    expect((await keyring.unwrapDek(v1, binding)).keyId).toBe(dek.keyId);

    const v2 = await keyring.rewrap(v1, binding);
    expect(v2.kekVersion).toBe(2);
    expect(await keyring.needsRewrap(v2)).toBe(false);
    expect(await keyring.rewrap(v2, binding)).toBe(v2);
    await expectCode(keyring.rewrap(v1, { ...binding, datasetId: 'ds-2' }), 'dek_unwrap_failed');

    // The DEK itself did not change: the sealed blob opens with the rewrapped key.
    const reopened = await keyring.unwrapDek(v2, binding);
    expect((await openBuffer(sealed, { dek: reopened, context: binding })).toString()).toBe('dataset rows');

    await keyring.retireBelow(2);
    await expectCode(keyring.unwrapDek(v1, binding), 'kek_version_retired');
    expect((await keyring.unwrapDek(v2, binding)).keyId).toBe(dek.keyId);
    expect((await keyring.describe()).versions.map((v) => v.state)).toEqual(['retired', 'primary']);
  });

  it('never lets the DEK leak through JSON, String or inspect', async () => {
    const dek = DataKey.generate({ keyId: 'dek-x' });
    const hex = Buffer.from(dek.exportBytes()).toString('hex');
    const b64 = Buffer.from(dek.exportBytes()).toString('base64');
    const { inspect } = await import('node:util');
    for (const text of [JSON.stringify({ dek }), String(dek), inspect(dek), inspect({ nested: dek })]) {
      expect(text).not.toContain(hex);
      expect(text).not.toContain(b64);
    }
    dek.destroy();
    expect(() => dek.exportBytes()).toThrow(EnvelopeError);
  });
});

describe('WrappedDek encoding', () => {
  const wrapped = { kekId: 'local-1', kekVersion: 3, keyId: 'dek-9', keyVersion: 2, ciphertext: Buffer.alloc(60, 1) };

  it('round-trips binary and text forms', () => {
    expect(decodeWrappedDek(encodeWrappedDek(wrapped))).toEqual(wrapped);
    const text = wrappedDekToString(wrapped);
    expect(text.startsWith('cfwd1.')).toBe(true);
    expect(wrappedDekFromString(text)).toEqual(wrapped);
  });

  it('rejects malformed input with dek_wrapped_malformed', () => {
    const bytes = encodeWrappedDek(wrapped);
    for (const bad of [bytes.subarray(0, bytes.length - 1), Buffer.concat([bytes, Buffer.alloc(1)]), Buffer.from('CFWX'), Buffer.alloc(0)]) {
      expect(() => decodeWrappedDek(bad)).toThrow(expect.objectContaining({ code: 'dek_wrapped_malformed' }));
    }
    expect(() => wrappedDekFromString('nope')).toThrow(expect.objectContaining({ code: 'dek_wrapped_malformed' }));
  });
});
