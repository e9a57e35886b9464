import { DomainError } from '@confide/domain';

/** Each rejection reason is distinct internally; clients only see 401 "invalid access token" or 403. */
export const AUTH_ERROR_CODES = [
  'token_missing',
  'token_malformed',
  'alg_none',
  'alg_not_allowed',
  'kid_missing',
  'kid_malformed',
  'kid_unknown',
  'untrusted_key_header',
  'signature_invalid',
  'issuer_mismatch',
  'audience_mismatch',
  'type_mismatch',
  'token_expired',
  'token_not_yet_valid',
  'issued_in_future',
  'claims_invalid',
  'tenant_missing',
  'jwks_unavailable',
  'permission_denied',
  'route_without_permission',
] as const;
export type AuthErrorCode = (typeof AUTH_ERROR_CODES)[number];

export class AuthError extends DomainError<AuthErrorCode> {
  readonly area = 'auth';
}
