import type { PublicKeyInfo, SignatureAlgorithm } from '../common/index.js';

/** SubjectPublicKeyInfo prefix for an uncompressed P-256 point (id-ecPublicKey, prime256v1, BIT STRING 66). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/** The TDX attestation key (a raw 64-byte x‖y P-256 point) as the public key that verifies the quote. */
export function attestationKeyOf(xy: Uint8Array): PublicKeyInfo {
  return { kind: 'ec', curve: 'P-256', spki: Buffer.concat([P256_SPKI_PREFIX, Buffer.from([0x04]), xy]) };
}

/**
 * Quotes, QE reports and Intel's signed JSON collateral all carry ECDSA P-256 / SHA-256 signatures as raw r‖s
 * (IEEE P1363), not the DER of X.509.
 */
export const ECDSA_SHA256_P1363: SignatureAlgorithm = { kind: 'ecdsa', hash: 'SHA-256', format: 'p1363' };
