import type { CryptoProvider } from '@confide/crypto';
import { CompactEncrypt, importJWK, type CryptoKey } from 'jose';
import { defaultCrypto } from './default-crypto.js';
import type { TeePublicJwk } from './tee-key.js';

export const DEK_JWE_ALG = 'ECDH-ES+A256KW';
export const DEK_JWE_ENC = 'A256GCM';

export interface DekJweHeader {
  /** The dataset key id and version, so the enclave knows which sealed blobs it opens. */
  readonly keyId: string;
  readonly keyVersion: number;
  readonly datasetId: string;
  /** The attestation report the release was granted on. */
  readonly reportId: string;
}

const b64u = (bytes: Uint8Array | string): string =>
  (typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).toString('base64url');

function u32be(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
}

/**
 * RFC 7518 §4.6.2 Concat KDF (NIST SP 800-56A single-step, SHA-256) for a 256-bit key: one round, with
 * AlgorithmID = the `alg`, empty PartyUInfo / PartyVInfo (no apu/apv), SuppPubInfo = 256.
 */
async function concatKdf256(crypto: CryptoProvider, z: Uint8Array, alg: string): Promise<Uint8Array> {
  const algId = Buffer.from(alg, 'ascii');
  const input = Buffer.concat([u32be(1), z, u32be(algId.length), algId, u32be(0), u32be(0), u32be(256)]);
  try {
    return await crypto.digest('SHA-256', input);
  } finally {
    input.fill(0);
  }
}

/**
 * The DEK as a compact JWE to the attested TEE key: ECDH-ES+A256KW key agreement with an ephemeral key, A256GCM
 * content encryption, never `zip`. The payload is the raw 32-byte DEK; identifiers ride in the protected header, which
 * GCM authenticates. The caller zeroes `dek` afterwards.
 *
 * P-256 and P-384 recipients go through the CryptoProvider (ephemeral ECDH, Concat KDF, AES-KW, AES-GCM); a P-521
 * recipient, which the provider does not cover, goes through `jose`.
 */
export async function encryptDekForTee(dek: Uint8Array, teeKey: TeePublicJwk, header: DekJweHeader, crypto?: CryptoProvider): Promise<string> {
  const protectedHeader = {
    alg: DEK_JWE_ALG,
    enc: DEK_JWE_ENC,
    kid: header.keyId,
    cty: 'application/vnd.confide.dek',
    'confide:key_version': header.keyVersion,
    'confide:dataset_id': header.datasetId,
    'confide:report_id': header.reportId,
  };
  if (teeKey.crv === 'P-521') {
    const recipient = (await importJWK({ ...teeKey, alg: DEK_JWE_ALG }, DEK_JWE_ALG)) as CryptoKey;
    return new CompactEncrypt(dek).setProtectedHeader(protectedHeader).encrypt(recipient);
  }
  const provider = crypto ?? defaultCrypto();
  const { kty, crv, x, y } = teeKey;
  const { publicJwk, secret } = await provider.ecdhEphemeral(teeKey.crv, { jwk: { kty, crv, x, y } });
  let kek: Uint8Array | undefined;
  let cek: Uint8Array | undefined;
  try {
    kek = await concatKdf256(provider, secret, DEK_JWE_ALG);
    cek = provider.randomBytes(32);
    const encryptedKey = await provider.aesKeyWrap(kek, cek);
    const epk = { kty: publicJwk.kty, crv: publicJwk.crv, x: publicJwk.x, y: publicJwk.y };
    const encodedHeader = b64u(JSON.stringify({ ...protectedHeader, epk }));
    const iv = provider.randomBytes(12);
    const sealed = await provider.aesGcmEncrypt({ key: cek, iv, additionalData: Buffer.from(encodedHeader, 'ascii'), plaintext: dek });
    const tagAt = sealed.length - 16;
    return [encodedHeader, b64u(encryptedKey), b64u(iv), b64u(sealed.subarray(0, tagAt)), b64u(sealed.subarray(tagAt))].join('.');
  } finally {
    secret.fill(0);
    kek?.fill(0);
    cek?.fill(0);
  }
}
