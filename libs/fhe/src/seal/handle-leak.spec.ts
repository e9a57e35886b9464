import { FheEnterpriseSession, liveSealHandles, loadSeal, type CkksParameters } from '../index.js';

// The smallest 128-bit-secure CKKS context (109 bits allowed at N=4096): the code path under test is the same as
// at N=16384, and 1,000 encryptions stay a couple of seconds.
const SMALL: CkksParameters = { polyModulusDegree: 4096, coeffModulusBits: [40, 25, 40], scaleBits: 25, securityLevel: 'tc128' };

describe('SEAL handle hygiene', () => {
  it('1,000 encryptions (+ decryptions) leave the WASM heap and the live handle count unchanged', async () => {
    const runtime = await loadSeal();
    const handlesBefore = liveSealHandles();
    const owner = await FheEnterpriseSession.create(SMALL);
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
