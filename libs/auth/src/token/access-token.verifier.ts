import { permissionsFor, isRole, type Principal } from '@confide/domain';
import { createRemoteJWKSet, customFetch, decodeProtectedHeader, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { AuthError } from '../auth.error.js';

export interface AccessTokenVerifierOptions {
  readonly issuer: string;
  readonly audience: string;
  readonly algorithms: readonly string[];
  readonly rolesClaim: string;
  readonly tenantClaim: string;
  readonly clockToleranceSec: number;
  /** JWKS URL; discovered from the issuer's metadata when not given. */
  readonly jwksUri?: string;
  /** Minimum time between JWKS refetches triggered by unknown `kid`s (rate limit against kid floods). */
  readonly jwksCooldownSec: number;
  readonly jwksCacheMaxAgeSec: number;
  /** Overridable for tests that count requests; defaults to global fetch. */
  readonly fetch?: typeof fetch;
}

const KID = /^[A-Za-z0-9_\-.=]{1,128}$/;
/** Bound on remembered verified tokens; the map is emptied when full (a flood of fresh tokens only costs re-verifies). */
const VERIFIED_TOKEN_LIMIT = 10_000;
/** Header parameters that point at keys chosen by the token's author; an access token from our IdP never needs them. */
const UNTRUSTED_KEY_HEADERS = ['jku', 'x5u', 'jwk', 'x5c'] as const;

/**
 * Verifies OIDC bearer access tokens (RFC 9068 JWT profile) against the issuer's JWKS: pinned algorithms, iss, aud,
 * typ `at+jwt`, exp/nbf/iat with a small tolerance. Keys come only from the configured JWKS, which is cached and
 * refetched on an unknown kid no more often than the cooldown allows (so a rotated key is picked up without restart).
 */
export class AccessTokenVerifier {
  private jwks?: JWTVerifyGetKey;
  private jwksUri?: string;
  /**
   * Tokens that verified, by their exact text, with the principal and until when (epoch s) it may be reused: the
   * token's own `exp` (without the clock tolerance), and no longer than the JWKS cache age — a key the IdP removed
   * stops being trusted no later than it would through the cached key set. A client sends the same token on every
   * request until it expires (a node asking for its keys, heartbeats), and a signature check plus jose's parsing
   * costs more than the rest of the guard. Any other text (one flipped bit) is a miss and is fully verified.
   */
  private readonly verified = new Map<string, { readonly principal: Principal; readonly until: number }>();

  constructor(private readonly o: AccessTokenVerifierOptions) {}

  async verify(token: string | undefined): Promise<Principal> {
    if (!token) throw new AuthError('token_missing', 'Authentication required.');
    if (token.length > 16_384 || token.split('.').length !== 3) throw new AuthError('token_malformed', 'Invalid access token.');
    const known = this.verified.get(token);
    if (known) {
      if (Date.now() / 1000 < known.until) return known.principal;
      this.verified.delete(token);
    }

    let header: ReturnType<typeof decodeProtectedHeader>;
    try {
      header = decodeProtectedHeader(token);
    } catch {
      throw new AuthError('token_malformed', 'Invalid access token.');
    }
    const alg = typeof header.alg === 'string' ? header.alg : '';
    if (alg.toLowerCase() === 'none') throw this.reject('alg_none');
    if (!this.o.algorithms.includes(alg)) throw this.reject('alg_not_allowed', alg);
    const present = UNTRUSTED_KEY_HEADERS.filter((h) => h in header);
    if (present.length) throw this.reject('untrusted_key_header', present.join(','));
    if (header.kid === undefined) throw this.reject('kid_missing');
    if (typeof header.kid !== 'string' || !KID.test(header.kid)) throw this.reject('kid_malformed');

    const jwks = await this.keySet();
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwks, {
        issuer: this.o.issuer,
        audience: this.o.audience,
        algorithms: [...this.o.algorithms],
        typ: 'at+jwt',
        clockTolerance: this.o.clockToleranceSec,
        requiredClaims: ['exp', 'iat', 'sub'],
      }));
    } catch (e) {
      throw this.classify(e);
    }
    const now = Math.floor(Date.now() / 1000);
    if (typeof payload.iat === 'number' && payload.iat > now + this.o.clockToleranceSec) throw this.reject('issued_in_future');
    const principal = this.principal(payload);
    // `exp` is required and checked above; `nbf`, if any, has passed, so the verdict holds until `exp`.
    if (typeof payload.exp === 'number') {
      if (this.verified.size >= VERIFIED_TOKEN_LIMIT) this.verified.clear();
      this.verified.set(token, { principal, until: Math.min(payload.exp, now + this.o.jwksCacheMaxAgeSec) });
    }
    return principal;
  }

  private principal(payload: JWTPayload): Principal {
    const tenant = payload[this.o.tenantClaim];
    if (typeof tenant !== 'string' || !/^[A-Za-z0-9_.:-]{1,128}$/.test(tenant)) throw this.reject('tenant_missing');
    const rawRoles = payload[this.o.rolesClaim];
    const roleList = Array.isArray(rawRoles) ? rawRoles : typeof rawRoles === 'string' ? rawRoles.split(' ') : [];
    const roles = roleList.filter(isRole);
    const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
    return {
      subject: payload.sub!,
      tenantId: tenant,
      roles,
      permissions: permissionsFor(roles),
      ...(clientId ? { clientId } : {}),
      ...(typeof payload.jti === 'string' ? { tokenId: payload.jti } : {}),
    };
  }

  private async keySet(): Promise<JWTVerifyGetKey> {
    if (this.jwks) return this.jwks;
    const uri = this.o.jwksUri ?? (await this.discoverJwksUri());
    this.jwksUri = uri;
    this.jwks = createRemoteJWKSet(new URL(uri), {
      cooldownDuration: this.o.jwksCooldownSec * 1000,
      cacheMaxAge: this.o.jwksCacheMaxAgeSec * 1000,
      timeoutDuration: 5000,
      ...(this.o.fetch ? { [customFetch]: this.o.fetch } : {}),
    });
    return this.jwks;
  }

  private async discoverJwksUri(): Promise<string> {
    const f = this.o.fetch ?? fetch;
    const url = `${this.o.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
    try {
      const res = await f(url, { signal: AbortSignal.timeout(5000) });
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      const meta = (await res.json()) as { issuer?: string; jwks_uri?: string };
      if (meta.issuer !== this.o.issuer || typeof meta.jwks_uri !== 'string') throw new Error('metadata does not match the issuer');
      return meta.jwks_uri;
    } catch (e) {
      throw new AuthError('jwks_unavailable', 'Invalid access token.', undefined, `discovery at ${url}: ${(e as Error).message}`);
    }
  }

  private classify(e: unknown): AuthError {
    if (e instanceof errors.JWTExpired) return this.reject('token_expired');
    if (e instanceof errors.JWTClaimValidationFailed) {
      switch (e.claim) {
        case 'iss':
          return this.reject('issuer_mismatch');
        case 'aud':
          return this.reject('audience_mismatch');
        case 'typ':
          return this.reject('type_mismatch');
        case 'nbf':
          return this.reject('token_not_yet_valid');
        case 'iat':
          return this.reject('issued_in_future');
        default:
          return this.reject('claims_invalid', e.claim);
      }
    }
    if (e instanceof errors.JWKSNoMatchingKey) return this.reject('kid_unknown');
    if (e instanceof errors.JWSSignatureVerificationFailed) return this.reject('signature_invalid');
    if (e instanceof errors.JOSEAlgNotAllowed) return this.reject('alg_not_allowed');
    if (e instanceof errors.JWKSTimeout || e instanceof errors.JWKSInvalid) return this.reject('jwks_unavailable', (e as Error).message);
    if (e instanceof errors.JWTInvalid || e instanceof errors.JWSInvalid) return this.reject('token_malformed');
    if (e instanceof TypeError || (e as { code?: string }).code === 'ERR_JOSE_GENERIC') return this.reject('jwks_unavailable', (e as Error).message);
    return this.reject('token_malformed', (e as Error).message);
  }

  private reject(code: AuthError['code'], detail?: string): AuthError {
    return new AuthError(code, 'Invalid access token.', undefined, detail);
  }
}
