import { DomainError } from '@confide/domain';

/**
 * Everything the FHE lib refuses. Codes are stable; messages never carry feature values, weights or key material
 * (a row or column number at most).
 */
export const FHE_ERROR_CODES = [
  'seal_unavailable',
  'invalid_parameters',
  'insecure_parameters',
  'invalid_layout',
  'invalid_features',
  'invalid_labels',
  'numeric_value_invalid',
  'scaler_mismatch',
  'key_material_invalid',
  'ciphertext_malformed',
  'ciphertext_level_mismatch',
  'insufficient_levels',
  'galois_key_missing',
  'sigmoid_range_exceeded',
  'session_disposed',
  'label_missing',
  'label_not_binary',
  'split_too_small',
  'refresh_refused',
  'training_aborted',
] as const;
export type FheErrorCode = (typeof FHE_ERROR_CODES)[number];

export class FheError extends DomainError<FheErrorCode> {
  readonly area = 'fhe';
}
