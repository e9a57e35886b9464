import { CKKS_LIGHT_PARAMETERS, FheEnterpriseSession, liveSealHandles, loadSeal } from '../index.js';

describe('SEAL handle hygiene', () => {
  it('1,000 encryptions (+ decryptions) leave the WASM heap and the live handle count unchanged', async () => {
    const runtime = await loadSeal();
    const handlesBefore = liveSealHandles();
    const owner = await FheEnterpriseSession.create(CKKS_LIGHT_PARAMETERS);
    const values = Float64Array.from({ length: owner.slots }, (_, i) => (i % 17) / 17);
    for (let i = 0; i < 20; i++) owner.decryptVector(owner.encryptVector(values)); // SEAL's memory pool warms up
    const heap = runtime.heapBytes();
    const handles = liveSealHandles();
    for (let i = 0; i < 1000; i++) {
      const wire = owner.encryptVector(values);
      if (i % 10 === 0) owner.decryptVector(wire);
    }
    expect(runtime.heapBytes()).toBe(heap);
    expect(liveSealHandles()).toBe(handles);
    owner.dispose();
    expect(liveSealHandles()).toBe(handlesBefore);
  });

  it('the heap check does catch a leak (100 undeleted 512 KB plaintexts grow the heap)', async () => {
    const runtime = await loadSeal();
    const before = runtime.heapBytes();
    const leaked = Array.from({ length: 100 }, () => new runtime.seal.Plaintext(65536));
    try {
      expect(runtime.heapBytes()).toBeGreaterThan(before);
    } finally {
      for (const p of leaked) p.delete();
    }
  });
});
