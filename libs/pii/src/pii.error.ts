import { DomainError } from '@confide/domain';

/** Stable codes for everything the PII lib refuses. Messages never carry the scanned value. */
export const PII_ERROR_CODES = [
  'config_invalid',
  'hash_key_invalid',
  'record_invalid_json',
  'record_invalid_utf8',
  'record_too_long',
  'csv_malformed',
  'unknown_entity',
  'unknown_region',
] as const;
export type PiiErrorCode = (typeof PII_ERROR_CODES)[number];

export class PiiError extends DomainError<PiiErrorCode> {
  readonly area = 'pii';
}
