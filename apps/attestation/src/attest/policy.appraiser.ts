import { resolve } from 'node:path';
import { appraise, loadPolicyById, type AttestationResult, type CompositeVerification, type LoadedPolicy, type TeeType } from '@confide/attestation';

/** What the attestation service needs from appraisal: the composite verification in, an EAR-style result out. */
export interface Appraiser {
  appraise(verification: CompositeVerification): { result: AttestationResult; policyDocument: Readonly<Record<string, unknown>> };
  /** The policy recorded with reports whose evidence did not verify (no TEE type to choose by). */
  readonly defaultPolicy: { readonly id: string; readonly hash: string; readonly document: Readonly<Record<string, unknown>> };
}

/** Which versioned policy (attestation/policies/<id>.json) appraises which CPU TEE type, per mode. */
export const POLICY_BY_MODE = {
  embedded: { 'sev-snp': 'dev-simulated', tdx: 'dev-simulated' },
  production: { 'sev-snp': 'sev-snp-h100', tdx: 'tdx-h100' },
} as const;

/**
 * Appraises with the versioned policies and pinned reference values of attestation/ (deny by default). Embedded mode
 * uses the dev-simulated policy (the only one that allows simulated evidence); production the vendor ones.
 */
export class PolicyAppraiser implements Appraiser {
  private constructor(
    private readonly byTee: Readonly<Record<'sev-snp' | 'tdx', LoadedPolicy>>,
    readonly defaultPolicy: Appraiser['defaultPolicy'],
  ) {}

  static async load(mode: keyof typeof POLICY_BY_MODE, attestationDir = resolve(process.cwd(), 'attestation')): Promise<PolicyAppraiser> {
    const ids = POLICY_BY_MODE[mode];
    const snp = await loadPolicyById(attestationDir, ids['sev-snp']);
    const tdx = await loadPolicyById(attestationDir, ids.tdx);
    return new PolicyAppraiser({ 'sev-snp': snp, tdx }, { id: snp.policy.id, hash: snp.policyHash, document: snp.policy });
  }

  appraise(v: CompositeVerification): { result: AttestationResult; policyDocument: Readonly<Record<string, unknown>> } {
    const loaded = this.byTee[v.cpu.teeType as Extract<TeeType, 'sev-snp' | 'tdx'>] ?? this.byTee['sev-snp'];
    return { result: appraise(v, loaded), policyDocument: loaded.policy };
  }
}
