import { EnvelopeError } from '../envelope.error.js';
import { assertKeyId, assertKeyVersion } from './data-key.js';

/**
 * A DEK as it may be stored: encrypted under one KEK version. Self-describing binary (big-endian):
 *
 *   magic "CFWD" (4) | format version (1) | KEK id length (1) | KEK id | KEK version (4)
 *   | DEK id length (1) | DEK id | DEK version (4) | ciphertext length (2) | ciphertext
 *
 * The ciphertext is whatever the KEK provider produced (local file: nonce ‖ AES-256-GCM(DEK) ‖ tag) with AAD
 * binding tenant, dataset and DEK id/version; the provider adds its own KEK id and version to the AAD.
 * Text form (for database columns): `cfwd1.` + base64url of the binary.
 */
export interface WrappedDek {
  readonly kekId: string;
  readonly kekVersion: number;
  readonly keyId: string;
  readonly keyVersion: number;
  readonly ciphertext: Uint8Array;
}

const MAGIC = Buffer.from('CFWD', 'ascii');
const FORMAT_VERSION = 1;
const TEXT_PREFIX = 'cfwd1.';

export function encodeWrappedDek(wrapped: WrappedDek): Buffer {
  assertKeyId(wrapped.kekId);
  assertKeyId(wrapped.keyId);
  assertKeyVersion(wrapped.kekVersion);
  assertKeyVersion(wrapped.keyVersion);
  const kekId = Buffer.from(wrapped.kekId, 'ascii');
  const keyId = Buffer.from(wrapped.keyId, 'ascii');
  const out = Buffer.alloc(4 + 1 + 1 + kekId.length + 4 + 1 + keyId.length + 4 + 2 + wrapped.ciphertext.length);
  let o = MAGIC.copy(out, 0);
  o = out.writeUInt8(FORMAT_VERSION, o);
  o = out.writeUInt8(kekId.length, o);
  o += kekId.copy(out, o);
  o = out.writeUInt32BE(wrapped.kekVersion, o);
  o = out.writeUInt8(keyId.length, o);
  o += keyId.copy(out, o);
  o = out.writeUInt32BE(wrapped.keyVersion, o);
  o = out.writeUInt16BE(wrapped.ciphertext.length, o);
  out.set(wrapped.ciphertext, o);
  return out;
}

export function decodeWrappedDek(bytes: Uint8Array): WrappedDek {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const malformed = (): EnvelopeError => new EnvelopeError('dek_wrapped_malformed', 'the wrapped data key is malformed');
  try {
    if (!buf.subarray(0, 4).equals(MAGIC) || buf.readUInt8(4) !== FORMAT_VERSION) throw malformed();
    let o = 5;
    const kekIdLength = buf.readUInt8(o++);
    const kekId = buf.toString('ascii', o, (o += kekIdLength));
    const kekVersion = buf.readUInt32BE(o);
    o += 4;
    const keyIdLength = buf.readUInt8(o++);
    const keyId = buf.toString('ascii', o, (o += keyIdLength));
    const keyVersion = buf.readUInt32BE(o);
    o += 4;
    const ctLength = buf.readUInt16BE(o);
    o += 2;
    if (o + ctLength !== buf.length) throw malformed();
    const wrapped = { kekId, kekVersion, keyId, keyVersion, ciphertext: Buffer.from(buf.subarray(o)) };
    assertKeyId(kekId);
    assertKeyId(keyId);
    assertKeyVersion(kekVersion);
    assertKeyVersion(keyVersion);
    return wrapped;
  } catch {
    throw malformed();
  }
}

export function wrappedDekToString(wrapped: WrappedDek): string {
  return TEXT_PREFIX + encodeWrappedDek(wrapped).toString('base64url');
}

export function wrappedDekFromString(text: string): WrappedDek {
  if (!text.startsWith(TEXT_PREFIX)) {
    throw new EnvelopeError('dek_wrapped_malformed', 'the wrapped data key is malformed');
  }
  return decodeWrappedDek(Buffer.from(text.slice(TEXT_PREFIX.length), 'base64url'));
}
