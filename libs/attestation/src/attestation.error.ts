import { DomainError } from '@confide/domain';

/**
 * Reason codes for every way evidence can fail verification or appraisal. One code per distinct failure so that
 * audit entries and tests can tell them apart; clients of the key broker only ever see one uniform denial.
 * Add new codes here (keep them snake_case and grouped by area).
 */
export const ATTESTATION_ERROR_CODES = [
  // input / format
  'evidence_malformed',
  'evidence_unsupported_version',
  'evidence_format_unknown',
  // signatures and chains
  'signature_invalid',
  'certificate_chain_invalid',
  'certificate_untrusted_root',
  'certificate_expired',
  'certificate_revoked',
  'certificate_extension_mismatch',
  'crl_invalid',
  'certificate_chain_incomplete',
  'certificate_not_yet_valid',
  'crl_expired',
  // collateral (TDX TCB info / QE identity, NVIDIA RIMs)
  'collateral_missing',
  'collateral_invalid',
  'collateral_expired',
  'tcb_revoked',
  'tcb_out_of_date',
  // bindings and freshness
  'report_data_mismatch',
  'nonce_unknown',
  'nonce_expired',
  'nonce_reused',
  'key_binding_mismatch',
  // signed tokens (NVIDIA NRAS EAT)
  'token_expired',
  'token_claims_invalid',
  'key_unknown',
  // simulated evidence outside dev mode
  'simulated_not_allowed',
  // appraisal
  'policy_debug_enabled',
  'policy_measurement_not_allowed',
  'policy_tcb_below_minimum',
  'policy_tee_type_not_allowed',
  'policy_gpu_cc_disabled',
  'policy_field_missing',
  'policy_violation',
  // TDX (Intel DCAP quotes and collateral)
  'certificate_chain_incomplete',
  'crl_expired',
  'qe_report_signature_invalid',
  'qe_report_data_mismatch',
  'qe_identity_mismatch',
  'collateral_signature_invalid',
  'collateral_mismatch',
  'tdx_module_mismatch',
  'tcb_level_not_found',
  // composite evidence (CPU + GPUs bound to one challenge)
  'nonce_mismatch',
  // appraisal (libs/attestation/src/appraisal): one code per policy rule
  'policy_invalid',
  'policy_reference_values_mismatch',
  'policy_simulated_not_allowed',
  'policy_smt_not_allowed',
  'policy_migration_agent_not_allowed',
  'policy_vmpl_not_allowed',
  'policy_guest_svn_below_minimum',
  'policy_rtmr_not_allowed',
  'policy_tcb_status_below_minimum',
  'policy_tcb_status_warning',
  'policy_collateral_unchecked',
  'policy_gpu_missing',
  'policy_gpu_measurement_not_allowed',
] as const;
export type AttestationErrorCode = (typeof ATTESTATION_ERROR_CODES)[number];

export class AttestationError extends DomainError<AttestationErrorCode> {
  readonly area = 'attestation';
}
