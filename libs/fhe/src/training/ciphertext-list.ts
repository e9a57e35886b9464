import { FheError } from '../fhe.error.js';

const MAGIC = new TextEncoder().encode('CFCT1');

/**
 * One buffer for a list of serialized ciphertexts (a dataset's encrypted samples, stored as one blob and sent to the
 * node in one response): magic ‖ u32 count ‖ (u32 length ‖ bytes)*. Lengths are checked, so truncation or trailing
 * bytes are refused.
 */
export function encodeCiphertextList(items: readonly Uint8Array[]): Uint8Array {
  const total = MAGIC.length + 4 + items.reduce((sum, c) => sum + 4 + c.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  out.set(MAGIC, 0);
  let offset = MAGIC.length;
  view.setUint32(offset, items.length);
  offset += 4;
  for (const item of items) {
    view.setUint32(offset, item.length);
    out.set(item, offset + 4);
    offset += 4 + item.length;
  }
  return out;
}

export function decodeCiphertextList(bytes: Uint8Array): Uint8Array[] {
  const fail = (): never => {
    throw new FheError('ciphertext_malformed', 'the ciphertext list is malformed');
  };
  if (bytes.length < MAGIC.length + 4 || MAGIC.some((b, i) => bytes[i] !== b)) fail();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(MAGIC.length);
  let offset = MAGIC.length + 4;
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    if (offset + 4 > bytes.length) fail();
    const length = view.getUint32(offset);
    if (offset + 4 + length > bytes.length) fail();
    out.push(bytes.slice(offset + 4, offset + 4 + length));
    offset += 4 + length;
  }
  if (offset !== bytes.length) fail();
  return out;
}
