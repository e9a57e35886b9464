import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Keyring, LocalFileKekProvider, openBuffer, sealBuffer } from '@confide/envelope';
import { CKKS_LIGHT_PARAMETERS, FheEnterpriseSession } from '../index.js';

describe('FHE secret key at rest (wrapped by the KEK through @confide/envelope)', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confide-fhe-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('exports sk bytes, seals them under a KEK-wrapped DEK, and restores a working session from them', async () => {
    const keyring = new Keyring(await LocalFileKekProvider.create(join(dir, 'kek.json')));
    const binding = { tenantId: 'tenant-a', datasetId: 'dataset-1' };
    const owner = await FheEnterpriseSession.create(CKKS_LIGHT_PARAMETERS);
    const wire = owner.encryptVector([0.25, -0.5, 0.75]);

    // What the datasets service persists: the wrapped DEK and the sealed secret key, nothing in the clear.
    const sk = owner.exportSecretKey();
    const { dek, wrapped } = await keyring.generateDek(binding);
    const sealed = sealBuffer(sk, { dek, context: binding });
    dek.destroy();
    expect(sealed.indexOf(Buffer.from(sk.subarray(sk.length - 64)))).toBe(-1);
    sk.fill(0);
    owner.dispose();

    const unwrapped = await keyring.unwrapDek(wrapped, binding);
    const skBytes = await openBuffer(sealed, { dek: unwrapped, context: binding });
    unwrapped.destroy();
    const restored = await FheEnterpriseSession.restore(CKKS_LIGHT_PARAMETERS, skBytes);
    skBytes.fill(0);
    try {
      const back = restored.decryptVector(wire);
      [0.25, -0.5, 0.75].forEach((v, i) => expect(back[i]).toBeCloseTo(v, 6));
    } finally {
      restored.dispose();
    }
    // Bound to its dataset: the wrapped DEK does not open for another one.
    await expect(keyring.unwrapDek(wrapped, { ...binding, datasetId: 'dataset-2' })).rejects.toMatchObject({
      code: 'dek_unwrap_failed',
    });
  });
});
