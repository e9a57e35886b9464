import { ATTESTATION_STATUSES, type AttestationStatus, type VerifiedAttestationResult } from './attestation-result.js';
import type { DenialReason } from './keybroker.error.js';

/**
 * Which attested enclaves may receive one dataset key (the resource policy of CoCo Trustee, the key policy
 * conditions of AWS KMS). Deny by default: every list must name what is allowed; an empty list allows nothing.
 */
export interface ReleasePolicy {
  /** TEE types whose results may receive the key (e.g. `sev-snp`, `tdx`). */
  readonly allowedTeeTypes: readonly string[];
  /** Appraisal policy ids the result must have been appraised under. */
  readonly allowedPolicyIds: readonly string[];
  /** When set, the launch measurement (hex) must be one of these. */
  readonly allowedMeasurements?: readonly string[];
  /** Weakest acceptable result status; `affirming` unless the dataset owner accepts warnings. */
  readonly minimumStatus: Exclude<AttestationStatus, 'contraindicated'>;
  /** Simulated evidence (embedded/dev mode only) may receive this key. */
  readonly allowSimulated: boolean;
  /** When set, the node holding the lease must be in one of these regions. */
  readonly residency?: readonly string[];
}

export interface ReleaseContext {
  /** Region of the node holding the lease, as the LeaseAuthority knows it. */
  readonly nodeRegion?: string;
}

const STATUS_RANK: Readonly<Record<AttestationStatus, number>> = { affirming: 0, warning: 1, contraindicated: 2 };

/** The first reason this result may not receive the key, or null when the policy allows it. Order is fixed. */
export function evaluateReleasePolicy(policy: ReleasePolicy, result: VerifiedAttestationResult, context: ReleaseContext): DenialReason | null {
  if (result.status === 'contraindicated' || STATUS_RANK[result.status] > STATUS_RANK[policy.minimumStatus]) return 'policy_status_insufficient';
  if (result.simulated && !policy.allowSimulated) return 'policy_simulated_not_allowed';
  if (!policy.allowedTeeTypes.includes(result.teeType)) return 'policy_tee_type_not_allowed';
  if (!policy.allowedPolicyIds.includes(result.policyId)) return 'policy_not_allowed';
  if (policy.allowedMeasurements && !policy.allowedMeasurements.map((m) => m.toLowerCase()).includes(result.measurement.toLowerCase())) {
    return 'policy_measurement_not_allowed';
  }
  if (policy.residency && (!context.nodeRegion || !policy.residency.some((r) => regionWithin(context.nodeRegion!, r)))) {
    return 'policy_residency_not_allowed';
  }
  return null;
}

/** `eu-west-1` is within `eu` and within `eu-west-1`; `eu` is not within `eu-west-1`. */
function regionWithin(region: string, allowed: string): boolean {
  const r = region.toLowerCase();
  const a = allowed.toLowerCase();
  return r === a || r.startsWith(`${a}-`);
}

export function isAttestationStatus(v: unknown): v is AttestationStatus {
  return (ATTESTATION_STATUSES as readonly unknown[]).includes(v);
}
