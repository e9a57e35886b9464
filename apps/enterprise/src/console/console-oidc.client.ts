import { createHash } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import { AuthError } from '@confide/auth';
import { APP_CONFIG, type AppConfig } from '@confide/platform';
import { createRemoteJWKSet, jwtVerify, type JWTVerifyGetKey } from 'jose';

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly jwks_uri: string;
  readonly end_session_endpoint?: string;
}

export interface TokenSet {
  readonly accessToken: string;
  readonly refreshToken: string | null;
  readonly idToken: string | null;
  /** Epoch ms. */
  readonly accessExpiresAt: number;
}

/** The console's public client id in the embedded dev issuer (libs/auth dev-accounts). */
const DEV_CONSOLE_CLIENT_ID = 'confide-console';

/**
 * The backend-for-frontend's OpenID Connect client: authorization code + PKCE (S256) against the configured issuer
 * (the embedded dev issuer or any standard IdP found by discovery). Tokens stay on the server.
 */
@Injectable()
export class ConsoleOidcClient {
  private discovery?: Promise<Discovery>;
  private jwks?: JWTVerifyGetKey;
  readonly clientId: string;
  readonly redirectUri: string;

  constructor(@Inject(APP_CONFIG) private readonly config: AppConfig) {
    this.clientId = config.oidc.clientId ?? DEV_CONSOLE_CLIENT_ID;
    this.redirectUri = `${config.publicUrl}/auth/callback`;
  }

  async authorizationUrl(state: string, codeVerifier: string, nonce: string): Promise<string> {
    const d = await this.discover();
    const url = new URL(d.authorization_endpoint);
    url.search = new URLSearchParams({
      client_id: this.clientId,
      response_type: 'code',
      redirect_uri: this.redirectUri,
      scope: 'openid profile email',
      state,
      nonce,
      code_challenge: createHash('sha256').update(codeVerifier).digest('base64url'),
      code_challenge_method: 'S256',
      resource: this.config.oidc.audience,
    }).toString();
    return url.href;
  }

  async exchangeCode(code: string, codeVerifier: string, nonce: string): Promise<TokenSet> {
    const tokens = await this.tokenRequest({ grant_type: 'authorization_code', code, redirect_uri: this.redirectUri, code_verifier: codeVerifier, resource: this.config.oidc.audience });
    if (tokens.idToken) await this.verifyIdToken(tokens.idToken, nonce);
    return tokens;
  }

  refresh(refreshToken: string): Promise<TokenSet> {
    return this.tokenRequest({ grant_type: 'refresh_token', refresh_token: refreshToken, resource: this.config.oidc.audience });
  }

  /** Name and email from the verified ID token (display only; roles and tenant come from the access token). */
  async idTokenProfile(idToken: string | null, nonce: string): Promise<{ name: string | null; email: string | null }> {
    if (!idToken) return { name: null, email: null };
    const claims = await this.verifyIdToken(idToken, nonce);
    return { name: typeof claims.name === 'string' ? claims.name : null, email: typeof claims.email === 'string' ? claims.email : null };
  }

  private async verifyIdToken(idToken: string, nonce: string): Promise<Record<string, unknown>> {
    const d = await this.discover();
    this.jwks ??= createRemoteJWKSet(new URL(d.jwks_uri));
    try {
      const { payload } = await jwtVerify(idToken, this.jwks, { issuer: d.issuer, audience: this.clientId });
      if (payload.nonce !== nonce) throw new Error('nonce mismatch');
      return payload;
    } catch (e) {
      throw new AuthError('signature_invalid', 'Sign-in failed.', undefined, `id token rejected: ${(e as Error).message}`);
    }
  }

  private async tokenRequest(params: Record<string, string>): Promise<TokenSet> {
    const d = await this.discover();
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
    const body = new URLSearchParams(params);
    if (this.config.oidc.clientSecret) {
      headers.authorization = `Basic ${Buffer.from(`${encodeURIComponent(this.clientId)}:${encodeURIComponent(this.config.oidc.clientSecret)}`).toString('base64')}`;
    } else body.set('client_id', this.clientId);
    const res = await fetch(d.token_endpoint, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    const json = (await res.json().catch(() => ({}))) as { access_token?: unknown; refresh_token?: unknown; id_token?: unknown; expires_in?: unknown; error?: unknown };
    if (!res.ok || typeof json.access_token !== 'string') {
      throw new AuthError('token_missing', 'Sign-in failed.', undefined, `token endpoint answered ${res.status} ${typeof json.error === 'string' ? json.error : ''}`);
    }
    const expiresIn = typeof json.expires_in === 'number' ? json.expires_in : 300;
    return {
      accessToken: json.access_token,
      refreshToken: typeof json.refresh_token === 'string' ? json.refresh_token : null,
      idToken: typeof json.id_token === 'string' ? json.id_token : null,
      accessExpiresAt: Date.now() + expiresIn * 1000,
    };
  }

  private discover(): Promise<Discovery> {
    this.discovery ??= (async () => {
      const res = await fetch(`${this.config.oidc.issuer.replace(/\/$/, '')}/.well-known/openid-configuration`, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new AuthError('jwks_unavailable', 'The identity provider is not reachable.', undefined, `discovery answered ${res.status}`);
      return (await res.json()) as Discovery;
    })();
    this.discovery.catch(() => (this.discovery = undefined));
    return this.discovery;
  }
}
