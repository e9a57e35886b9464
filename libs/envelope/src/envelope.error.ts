import { DomainError } from '@confide/domain';

/**
 * Every way sealing, key handling, blob storage or format-preserving encryption can fail. Codes are stable; messages
 * never carry key material, plaintext or raw identifiers beyond what the caller already passed.
 */
export const ENVELOPE_ERROR_CODES = [
  // sealed-blob format
  'header_malformed',
  'header_bad_magic',
  'header_unsupported_version',
  'key_id_mismatch',
  'key_version_mismatch',
  /** The key commitment in the header does not match: wrong DEK, wrong context, or a modified header. */
  'context_mismatch',
  'segment_authentication_failed',
  'blob_truncated',
  'blob_trailing_data',
  'blob_too_large',
  'invalid_context',
  'invalid_segment_size',
  // primitives and keys
  'invalid_key',
  'invalid_nonce',
  'aead_authentication_failed',
  'dek_wrapped_malformed',
  'dek_unwrap_failed',
  'kek_id_mismatch',
  'kek_version_unknown',
  'kek_version_retired',
  'kek_file_missing',
  'kek_file_exists',
  'kek_file_malformed',
  'kek_file_permissions',
  'kek_provider_failed',
  // blob store
  'blob_key_invalid',
  'blob_not_found',
  'blob_write_failed',
  'blob_size_limit_exceeded',
  // FF1 format-preserving encryption
  'fpe_invalid_radix',
  'fpe_domain_too_small',
  'fpe_input_too_long',
  'fpe_invalid_numeral',
  'fpe_tweak_too_long',
  'fpe_invalid_alphabet',
] as const;
export type EnvelopeErrorCode = (typeof ENVELOPE_ERROR_CODES)[number];

export class EnvelopeError extends DomainError<EnvelopeErrorCode> {
  readonly area = 'envelope';
}
