import { hkdfSync } from 'node:crypto';
import { EnvelopeError } from '../envelope.error.js';
import { nodeGcm, type GcmBackend } from './gcm-backend.js';

export const GCM_NONCE_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;
const HKDF_SHA256_MAX = 255 * 32;

function assertKey(key: Uint8Array): void {
  if (key.length !== 16 && key.length !== 24 && key.length !== 32) {
    throw new EnvelopeError('invalid_key', 'an AES-GCM key must be 16, 24 or 32 bytes');
  }
}

function assertNonce(nonce: Uint8Array): void {
  // Only 96-bit nonces: other lengths go through GHASH and lose the counter-space guarantees we rely on.
  if (nonce.length !== GCM_NONCE_LENGTH) throw new EnvelopeError('invalid_nonce', 'AES-GCM nonces must be 12 bytes');
}

const buf = (u: Uint8Array): Buffer => (Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength));

/** One-shot AES-GCM with a 96-bit nonce and a 128-bit tag (the only shape this lib uses). */
export function aesGcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
  gcm: GcmBackend = nodeGcm,
): { ciphertext: Buffer; tag: Buffer } {
  assertKey(key);
  assertNonce(nonce);
  const sealed = gcm.seal(buf(key), buf(nonce), buf(aad), [buf(plaintext)], false);
  return { ciphertext: Buffer.concat(sealed.out), tag: sealed.tag };
}

export function aesGcmDecrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  ciphertext: Uint8Array,
  tag: Uint8Array,
  aad: Uint8Array,
  gcm: GcmBackend = nodeGcm,
): Buffer {
  assertKey(key);
  assertNonce(nonce);
  if (tag.length !== GCM_TAG_LENGTH) throw new EnvelopeError('aead_authentication_failed', 'AES-GCM tags must be 16 bytes');
  const out = gcm.open(buf(key), buf(nonce), buf(aad), [buf(ciphertext)], buf(tag));
  if (out === undefined) throw new EnvelopeError('aead_authentication_failed', 'AES-GCM authentication failed');
  return Buffer.concat(out);
}

/** HKDF-SHA256 (RFC 5869). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > HKDF_SHA256_MAX) {
    throw new EnvelopeError('invalid_key', `HKDF-SHA256 output must be 1..${HKDF_SHA256_MAX} bytes`);
  }
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}
