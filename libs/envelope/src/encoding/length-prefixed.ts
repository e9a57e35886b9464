/**
 * Unambiguous byte encodings for values bound into key derivation and associated data: every variable-length field
 * carries its length, so ("ab","c") and ("a","bc") can never produce the same bytes.
 */
export function u16(value: number): Buffer {
  const out = Buffer.allocUnsafe(2);
  out.writeUInt16BE(value, 0);
  return out;
}

export function u32(value: number): Buffer {
  const out = Buffer.allocUnsafe(4);
  out.writeUInt32BE(value, 0);
  return out;
}

/** u16 length ‖ bytes. */
export function lengthPrefixed(value: Uint8Array | string): Buffer {
  const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value);
  if (bytes.length > 0xffff) throw new RangeError('length-prefixed field longer than 65535 bytes');
  return Buffer.concat([u16(bytes.length), bytes]);
}

/** Concatenation of a domain label and length-prefixed fields. */
export function encodeFields(label: string, fields: readonly (Uint8Array | string)[]): Buffer {
  return Buffer.concat([lengthPrefixed(label), ...fields.map((f) => lengthPrefixed(f))]);
}
