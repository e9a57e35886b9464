import type { CompositeEvidence, TeePublicJwk } from '@confide/attestation';

/**
 * The Attester side on a node: composite evidence (CPU report + GPUs) whose report data binds `nonce` and
 * `teePublicJwk` (bindingReportData, DESIGN §5.3). One implementation per way of reaching the hardware.
 */
export interface EvidenceProvider {
  /** `none` for a node without a TEE (it never asks for evidence). */
  readonly teeType: 'sev-snp' | 'tdx' | 'none';
  readonly name: string;
  collect(nonce: Uint8Array, teePublicJwk: TeePublicJwk): Promise<CompositeEvidence>;
}

/** Composite evidence in the attestation service's `attest` request shape (base64 fields). */
export function evidenceToAttestWire(e: CompositeEvidence) {
  return {
    cpu: { format: e.cpu.format, report: Buffer.from(e.cpu.evidence).toString('base64'), certs: (e.cpu.certificates ?? []).map((c) => Buffer.from(c).toString('base64')) },
    gpus: e.gpus.map((g) => ({ format: g.format, report: Buffer.from(g.evidence).toString('base64'), certs: g.certificates.map((c) => Buffer.from(c).toString('base64')) })),
  };
}

export class NoTeeEvidenceProvider implements EvidenceProvider {
  readonly teeType = 'none' as const;
  readonly name = 'none';
  collect(): Promise<CompositeEvidence> {
    return Promise.reject(new Error('this node has no TEE and cannot attest'));
  }
}
