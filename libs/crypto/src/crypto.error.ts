import { DomainError } from '@confide/domain';

export const CRYPTO_ERROR_CODES = [
  'key_invalid',
  'algorithm_unsupported',
  'parameter_invalid',
  'decryption_failed',
] as const;
export type CryptoErrorCode = (typeof CRYPTO_ERROR_CODES)[number];

/** Thrown by a CryptoProvider. Messages name the operation, never key material or plaintext. */
export class CryptoError extends DomainError<CryptoErrorCode> {
  readonly area = 'crypto';
}
