import { decodeContainer, encodeContainer } from './tensor-container.js';

describe('tensor container', () => {
  it('round-trips dense and sparse tensors exactly', () => {
    const dense = Float32Array.from([1.5, -2, Math.fround(0.1), 3e-30]);
    const sparse = new Float32Array(1000);
    sparse[3] = -0.25;
    sparse[999] = Math.fround(1 / 3);
    const bytes = encodeContainer('test', { a: 1 }, [
      ['dense', dense],
      ['sparse', sparse],
    ]);
    expect(bytes.length).toBeLessThan(12 + 200 + 16 + 4 + 16);
    const back = decodeContainer(bytes, 'model_malformed');
    expect(back.kind).toBe('test');
    expect(back.meta).toEqual({ a: 1 });
    expect(back.tensors.get('dense')).toEqual(dense);
    expect(back.tensors.get('sparse')).toEqual(sparse);
  });

  it('refuses every truncation, trailing bytes, non-finite values and out-of-order sparse indices', () => {
    const sparse = new Float32Array(64);
    sparse[5] = 1;
    sparse[9] = 2;
    const bytes = encodeContainer('t', null, [['s', sparse]]);
    for (let n = 0; n < bytes.length; n++) expect(() => decodeContainer(bytes.subarray(0, n), 'checkpoint_malformed')).toThrow();
    expect(() => decodeContainer(Uint8Array.from([...bytes, 0]), 'checkpoint_malformed')).toThrow();
    const view = new DataView(bytes.buffer);
    const swapped = bytes.slice();
    new DataView(swapped.buffer).setUint32(bytes.length - 12, 9, true);
    new DataView(swapped.buffer).setUint32(bytes.length - 16, 9, true);
    expect(() => decodeContainer(swapped, 'checkpoint_malformed')).toThrow(expect.objectContaining({ code: 'checkpoint_malformed' }));
    const nan = bytes.slice();
    new DataView(nan.buffer).setFloat32(bytes.length - 4, NaN, true);
    expect(() => decodeContainer(nan, 'model_malformed')).toThrow(expect.objectContaining({ code: 'model_malformed' }));
    expect(view.getUint32(bytes.length - 16, true)).toBe(5);
  });
});
