/**
 * Bytes in the form node-seal's `loadFromArray` reads correctly: a plain Uint8Array over its whole buffer. A Node
 * Buffer (often a slice of a shared pool) or a subarray is copied; the caller zeroes the copy when it holds a key.
 */
export function sealInput(bytes: Uint8Array): { bytes: Uint8Array; copied: boolean } {
  if (Object.getPrototypeOf(bytes) === Uint8Array.prototype && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength) {
    return { bytes, copied: false };
  }
  return { bytes: new Uint8Array(bytes), copied: true };
}

/** node-seal returns a Uint8Array from `saveToArray`; normalise defensively. */
export function sealOutput(value: unknown): Uint8Array {
  return value instanceof Uint8Array ? value : Uint8Array.from(value as ArrayLike<number>);
}
