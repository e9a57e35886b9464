import { CompactEncrypt, importJWK, type CryptoKey } from 'jose';
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

/**
 * The DEK as a compact JWE to the attested TEE key: ECDH-ES+A256KW key agreement with an ephemeral key, A256GCM
 * content encryption, never `zip`. The payload is the raw 32-byte DEK; identifiers ride in the protected header, which
 * GCM authenticates. The caller zeroes `dek` afterwards.
 */
export async function encryptDekForTee(dek: Uint8Array, teeKey: TeePublicJwk, header: DekJweHeader): Promise<string> {
  const recipient = (await importJWK({ ...teeKey, alg: DEK_JWE_ALG }, DEK_JWE_ALG)) as CryptoKey;
  return new CompactEncrypt(dek)
    .setProtectedHeader({
      alg: DEK_JWE_ALG,
      enc: DEK_JWE_ENC,
      kid: header.keyId,
      cty: 'application/vnd.confide.dek',
      'confide:key_version': header.keyVersion,
      'confide:dataset_id': header.datasetId,
      'confide:report_id': header.reportId,
    })
    .encrypt(recipient);
}
