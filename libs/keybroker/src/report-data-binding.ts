import { createHash } from 'node:crypto';
import { canonicalJson } from '@confide/domain';
import type { TeePublicJwk } from './tee-key.js';

export interface ReportDataBindingInput {
  /** The challenge nonce exactly as the service issued it. */
  readonly nonce: string;
  readonly teePublicJwk: TeePublicJwk;
  /** Each GPU's raw evidence, in the order the node sends them. */
  readonly gpuEvidence: readonly Uint8Array[];
}

/**
 * DESIGN §5.3: SHA-512 of the canonical JSON (RFC 8785) of {nonce, TEE public JWK, SHA-256 of each GPU's evidence}.
 * The attester puts these 64 bytes in the CPU report's REPORT_DATA / REPORTDATA; binding the GPU digests there is what
 * ties the GPUs to this enclave. Only the JWK's RFC 7638 members are hashed, so key serialisation cannot vary it.
 */
export function reportDataBinding(input: ReportDataBindingInput): Buffer {
  const { kty, crv, x, y } = input.teePublicJwk;
  const document = {
    nonce: input.nonce,
    tee_public_jwk: { crv, kty, x, y },
    gpu_evidence_sha256: input.gpuEvidence.map((e) => createHash('sha256').update(e).digest('hex')),
  };
  return createHash('sha512').update(canonicalJson(document), 'utf8').digest();
}
