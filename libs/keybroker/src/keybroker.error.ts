import { DomainError } from '@confide/domain';

/**
 * Why a key release or an attestation was refused. These codes go to logs and to the audit entry only: the caller
 * always gets the one uniform denial (`release_denied` / `attestation_denied`), so probing cannot tell which check
 * failed (CoCo Trustee KBS, AWS KMS Recipient).
 */
export const DENIAL_REASONS = [
  // attestation result (the JWT presented at release)
  'result_malformed',
  'result_signature_invalid',
  'result_expired',
  'result_claims_invalid',
  'result_not_affirming',
  'report_unknown',
  'report_mismatch',
  'tee_key_mismatch',
  // nonce freshness
  'nonce_unknown',
  'nonce_expired',
  'nonce_reused',
  // evidence
  'evidence_invalid',
  'key_binding_mismatch',
  'simulated_not_allowed',
  'appraisal_contraindicated',
  'tee_key_invalid',
  // key release policy
  'key_unknown',
  'policy_tee_type_not_allowed',
  'policy_not_allowed',
  'policy_measurement_not_allowed',
  'policy_status_insufficient',
  'policy_simulated_not_allowed',
  'policy_residency_not_allowed',
  // lease (LeaseAuthority)
  'lease_unknown',
  'lease_epoch_stale',
  'lease_expired',
  'lease_holder_mismatch',
  'job_cancelled',
  'job_mismatch',
] as const;
export type DenialReason = (typeof DENIAL_REASONS)[number];

export const KEYBROKER_ERROR_CODES = [
  /** Uniform answer to every refused key release. */
  'release_denied',
  /** Uniform answer to every refused attestation. */
  'attestation_denied',
  'key_not_found',
  'report_not_found',
  'release_policy_invalid',
  'signing_key_invalid',
] as const;
export type KeyBrokerErrorCode = (typeof KEYBROKER_ERROR_CODES)[number];

export class KeyBrokerError extends DomainError<KeyBrokerErrorCode> {
  readonly area = 'keybroker';

  static releaseDenied(reason: DenialReason): KeyBrokerError {
    return new KeyBrokerError('release_denied', 'The key release was denied.', undefined, reason);
  }

  static attestationDenied(reason: DenialReason, detail?: string): KeyBrokerError {
    return new KeyBrokerError('attestation_denied', 'The attestation was denied.', undefined, detail ? `${reason}: ${detail}` : reason);
  }
}

/** Reason code of a denial error (the part before any `:` detail). */
export function denialReasonOf(error: KeyBrokerError): DenialReason | undefined {
  const head = (error.internalReason ?? '').split(':')[0] ?? '';
  return (DENIAL_REASONS as readonly string[]).includes(head) ? (head as DenialReason) : undefined;
}
