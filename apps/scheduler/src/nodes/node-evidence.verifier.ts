import { createHash } from 'node:crypto';
import { CompositeVerifier, compositeEvidenceFromJson, jwkThumbprint, type CompositeEvidenceJson, type CpuEvidence } from '@confide/attestation';

/** What registration learns from a node's evidence. */
export interface NodeEvidenceVerdict {
  /** What the evidence is; registration refuses a node whose listed TEE type differs (Nitro is never a placement TEE). */
  readonly teeType: CpuEvidence['format'];
  readonly simulated: boolean;
  readonly measurement: string | null;
  /** Thumbprint of the key the hardware report binds (must be the node's identity key). */
  readonly boundJkt: string;
}

/** Verifies registration evidence. Behind an interface so the attestation service's API can replace it. */
export interface NodeEvidenceVerifier {
  verify(evidence: CompositeEvidenceJson, nonce: Uint8Array, at: Date): Promise<NodeEvidenceVerdict>;
}
export const NODE_EVIDENCE_VERIFIER = Symbol('NODE_EVIDENCE_VERIFIER');

/**
 * The registration nonce is derived, not stored: SHA-256("confide-node-registration.v1:" ‖ jkt ‖ ":" ‖ proof jti).
 * The DPoP proof that carries the registration is fresh (iat window) and single-use (replay store), so evidence
 * bound to its jti is fresh and single-use too, with no challenge round trip.
 */
export function nodeRegistrationNonce(jkt: string, jti: string): Uint8Array {
  return new Uint8Array(createHash('sha256').update(`confide-node-registration.v1:${jkt}:${jti}`, 'utf8').digest());
}

/** libs/attestation's CompositeVerifier used directly (signatures to the vendor roots, TCB, binding). */
export class CompositeNodeEvidenceVerifier implements NodeEvidenceVerifier {
  constructor(
    private readonly verifier: CompositeVerifier,
    private readonly allowSimulated: boolean,
  ) {}

  async verify(evidence: CompositeEvidenceJson, nonce: Uint8Array, at: Date): Promise<NodeEvidenceVerdict> {
    const bundle = compositeEvidenceFromJson(evidence);
    const v = await this.verifier.verify(bundle, { nonce, at, allowSimulated: this.allowSimulated });
    // A debug enclave can be read by its host: never a confidential node.
    if (v.cpu.debug) throw new Error('debug enclave');
    return { teeType: bundle.cpu.format, simulated: v.simulated, measurement: v.cpu.measurement, boundJkt: jwkThumbprint(v.teePublicJwk) };
  }
}
