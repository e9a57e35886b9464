import type { CryptoProvider } from '@confide/crypto';
import { calculateJwkThumbprint, importJWK, type JWK } from 'jose';
import { defaultCrypto } from './default-crypto.js';
import { KeyBrokerError } from './keybroker.error.js';

/** Curves a TEE may use for its ephemeral key-agreement key (ECDH-ES+A256KW recipients). */
const EC_CURVES = new Set<string>(['P-256', 'P-384', 'P-521']);

/**
 * The curve the node agent makes its per-lease TEE key on. P-256: 128-bit security for a key that lives one lease,
 * as CoCo Trustee's EC TEE keys (AWS KMS's Nitro recipients are RSA-2048, 112-bit). P-384 would cost the key broker
 * about 1.6 ms of CPU per release for the ephemeral ECDH-ES (OpenSSL has a constant-time assembly path for P-256 only;
 * ~0.05 ms there), which alone is a third of a release. The broker accepts P-256, P-384 and P-521 from any TEE.
 */
export const TEE_KEY_CURVE = 'P-256' as const;

/** An enclave's ephemeral public key, reduced to its RFC 7638 required members. */
export type TeePublicJwk = {
  readonly kty: 'EC';
  readonly crv: 'P-256' | 'P-384' | 'P-521';
  readonly x: string;
  readonly y: string;
};

/**
 * Checks and normalises the TEE public key a node presents: an EC public key on P-256/384/521, no private part,
 * a point that imports (so off-curve points are refused before any binding or JWE uses it). P-256 and P-384 points
 * are checked by the CryptoProvider (which remembers a key it has imported; every release re-checks the key stored
 * with the report), P-521 by `jose`.
 */
export async function normaliseTeePublicJwk(input: unknown, crypto: CryptoProvider = defaultCrypto()): Promise<TeePublicJwk> {
  const invalid = (why: string): KeyBrokerError => KeyBrokerError.attestationDenied('tee_key_invalid', why);
  if (!input || typeof input !== 'object' || Array.isArray(input)) throw invalid('not a JWK object');
  const jwk = input as Record<string, unknown>;
  if ('d' in jwk) throw invalid('a private key was sent');
  if (jwk.kty !== 'EC' || typeof jwk.crv !== 'string' || !EC_CURVES.has(jwk.crv)) throw invalid('not an EC P-256/384/521 key');
  if (typeof jwk.x !== 'string' || typeof jwk.y !== 'string') throw invalid('missing coordinates');
  const key: TeePublicJwk = { kty: 'EC', crv: jwk.crv as TeePublicJwk['crv'], x: jwk.x, y: jwk.y };
  try {
    if (key.crv === 'P-521') await importJWK({ ...key, alg: 'ECDH-ES+A256KW' }, 'ECDH-ES+A256KW');
    else await crypto.checkEcPublicKey(key.crv, { jwk: { kty: key.kty, crv: key.crv, x: key.x, y: key.y } });
  } catch {
    throw invalid('the point does not import');
  }
  return key;
}

/**
 * RFC 7638 SHA-256 thumbprint (base64url): the `cnf.jkt` of an attestation result. The required members of an EC
 * key in lexicographic order, as JSON without whitespace (what `jose`'s calculateJwkThumbprint hashes), digested
 * by the CryptoProvider.
 */
export async function teeKeyThumbprint(jwk: TeePublicJwk, crypto: CryptoProvider = defaultCrypto()): Promise<string> {
  if (jwk.kty !== 'EC' || typeof jwk.crv !== 'string' || typeof jwk.x !== 'string' || typeof jwk.y !== 'string') {
    return calculateJwkThumbprint(jwk as JWK, 'sha256'); // jose names what is missing
  }
  const members = JSON.stringify({ crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y });
  const digest = await crypto.digest('SHA-256', Buffer.from(members, 'utf8'));
  return Buffer.from(digest.buffer, digest.byteOffset, digest.byteLength).toString('base64url');
}
