import { createCipheriv, createDecipheriv, hkdfSync, type CipherGCMTypes } from 'node:crypto';
import { EnvelopeError } from '../envelope.error.js';

export const GCM_NONCE_LENGTH = 12;
export const GCM_TAG_LENGTH = 16;
const HKDF_SHA256_MAX = 255 * 32;

function gcmAlgorithm(key: Uint8Array): CipherGCMTypes {
  switch (key.length) {
    case 16:
      return 'aes-128-gcm';
    case 24:
      return 'aes-192-gcm';
    case 32:
      return 'aes-256-gcm';
    default:
      throw new EnvelopeError('invalid_key', 'an AES-GCM key must be 16, 24 or 32 bytes');
  }
}

function assertNonce(nonce: Uint8Array): void {
  // Only 96-bit nonces: other lengths go through GHASH and lose the counter-space guarantees we rely on.
  if (nonce.length !== GCM_NONCE_LENGTH) throw new EnvelopeError('invalid_nonce', 'AES-GCM nonces must be 12 bytes');
}

/** One-shot AES-GCM with a 96-bit nonce and a 128-bit tag (the only shape this lib uses). */
export function aesGcmEncrypt(
  key: Uint8Array,
  nonce: Uint8Array,
  plaintext: Uint8Array,
  aad: Uint8Array,
): { ciphertext: Buffer; tag: Buffer } {
  assertNonce(nonce);
  const cipher = createCipheriv(gcmAlgorithm(key), key, nonce, { authTagLength: GCM_TAG_LENGTH });
  cipher.setAAD(aad);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return { ciphertext, tag: cipher.getAuthTag() };
}

export function aesGcmDecrypt(key: Uint8Array, nonce: Uint8Array, ciphertext: Uint8Array, tag: Uint8Array, aad: Uint8Array): Buffer {
  assertNonce(nonce);
  if (tag.length !== GCM_TAG_LENGTH) throw new EnvelopeError('aead_authentication_failed', 'AES-GCM tags must be 16 bytes');
  const decipher = createDecipheriv(gcmAlgorithm(key), key, nonce, { authTagLength: GCM_TAG_LENGTH });
  decipher.setAAD(aad);
  decipher.setAuthTag(tag);
  const out = decipher.update(ciphertext);
  try {
    decipher.final();
  } catch {
    out.fill(0);
    throw new EnvelopeError('aead_authentication_failed', 'AES-GCM authentication failed');
  }
  return out;
}

/** HKDF-SHA256 (RFC 5869). */
export function hkdfSha256(ikm: Uint8Array, salt: Uint8Array, info: Uint8Array, length: number): Buffer {
  if (!Number.isInteger(length) || length < 1 || length > HKDF_SHA256_MAX) {
    throw new EnvelopeError('invalid_key', `HKDF-SHA256 output must be 1..${HKDF_SHA256_MAX} bytes`);
  }
  return Buffer.from(hkdfSync('sha256', ikm, salt, info, length));
}
