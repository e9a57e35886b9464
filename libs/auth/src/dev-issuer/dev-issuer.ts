import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK } from 'jose';
import Provider, { errors as oidcErrors, type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import { loadOrCreateDevCredentials, passwordMatches, type DevCredentials, type DevUser } from './dev-accounts.js';
import { loginPage } from './login-page.js';

export interface LoginEvent {
  readonly outcome: 'success' | 'denied';
  readonly email: string;
  /** The signed-in user; on a denial, the user the email belongs to (if any), so their tenant sees the attempt. */
  readonly user?: DevUser;
  readonly clientId: string;
}

export interface DevIssuerOptions {
  /** Issuer URL, e.g. http://127.0.0.1:3000/oidc; its path is where the issuer is mounted. */
  readonly issuer: string;
  readonly audience: string;
  /** Directory for the issuer's signing keys and the seeded credentials (0600 files). */
  readonly keysDir: string;
  /** Where the console receives the authorization code. */
  readonly consoleRedirectUris: readonly string[];
  readonly extraServiceAccounts?: DevCredentials['serviceAccounts'];
  readonly accessTokenTtlSec?: number;
  /** Called for every sign-in attempt; a rejection makes the sign-in fail (it is audited in the same transaction). */
  readonly onLogin?: (event: LoginEvent) => Promise<void>;
}

/**
 * The embedded development OpenID Provider: a real, certified OP (`oidc-provider`) with seeded users (authorization
 * code + PKCE for the console) and a service account (client credentials). It issues RFC 9068 JWT access tokens
 * (`typ: at+jwt`) for the confide API audience. Never used in production mode.
 */
export class DevIssuer {
  private constructor(
    readonly provider: Provider,
    readonly credentials: DevCredentials,
    readonly mountPath: string,
    private readonly signingJwks: { keys: JWK[] },
  ) {}

  static async create(o: DevIssuerOptions): Promise<DevIssuer> {
    const base = loadOrCreateDevCredentials(join(o.keysDir, 'dev-credentials.json'), o.issuer, o.audience);
    const credentials: DevCredentials = { ...base, serviceAccounts: [...base.serviceAccounts, ...(o.extraServiceAccounts ?? [])] };
    const jwks = await loadOrCreateSigningKeys(join(o.keysDir, 'dev-issuer-jwks.json'));
    const cookieKeys = loadOrCreateSecret(join(o.keysDir, 'dev-issuer-cookie.key'));
    const users = new Map(credentials.users.map((u) => [u.id, u]));
    const accounts = new Map(credentials.serviceAccounts.map((s) => [s.clientId, s]));
    const mountPath = new URL(o.issuer).pathname.replace(/\/$/, '');
    const ttl = o.accessTokenTtlSec ?? 3600;

    const configuration: Configuration = {
      clients: [
        {
          client_id: credentials.consoleClientId,
          client_name: 'confide console',
          token_endpoint_auth_method: 'none',
          grant_types: ['authorization_code', 'refresh_token'],
          response_types: ['code'],
          redirect_uris: [...o.consoleRedirectUris],
          post_logout_redirect_uris: o.consoleRedirectUris.map((u) => new URL('/', u).href),
        },
        ...credentials.serviceAccounts.map((s) => ({
          client_id: s.clientId,
          client_secret: s.clientSecret,
          client_name: `service account ${s.clientId}`,
          grant_types: ['client_credentials'],
          response_types: [],
          redirect_uris: [],
        })),
      ],
      jwks,
      pkce: { required: () => true },
      scopes: ['openid', 'profile', 'email', 'offline_access', 'api'],
      claims: { openid: ['sub'], profile: ['name'], email: ['email'] },
      features: {
        devInteractions: { enabled: false },
        clientCredentials: { enabled: true },
        revocation: { enabled: true },
        introspection: { enabled: false },
        resourceIndicators: {
          enabled: true,
          defaultResource: () => o.audience,
          useGrantedResource: () => true,
          getResourceServerInfo: (_ctx, resource) => {
            if (resource !== o.audience) throw new oidcErrors.InvalidTarget();
            return { scope: 'api', audience: o.audience, accessTokenTTL: ttl, accessTokenFormat: 'jwt', jwt: { sign: { alg: 'RS256' } } };
          },
        },
      },
      findAccount: (_ctx, sub) => {
        const u = users.get(sub);
        if (!u) return undefined;
        return { accountId: u.id, claims: () => ({ sub: u.id, email: u.email, name: u.name }) };
      },
      extraTokenClaims: (_ctx, token) => {
        const t = token as { kind?: string; accountId?: string; clientId?: string };
        if (t.kind === 'ClientCredentials') {
          const s = t.clientId ? accounts.get(t.clientId) : undefined;
          return s ? { org_id: s.tenantId, roles: [...s.roles] } : undefined;
        }
        const u = t.accountId ? users.get(t.accountId) : undefined;
        return u ? { org_id: u.tenantId, roles: [...u.roles] } : undefined;
      },
      interactions: { url: (_ctx, interaction) => `${mountPath}/interaction/${interaction.uid}` },
      cookies: { keys: [cookieKeys], long: { signed: true }, short: { signed: true } },
      ttl: { AccessToken: ttl, ClientCredentials: ttl, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 86400, Interaction: 600, Session: 86400, Grant: 86400 },
      renderError: (ctx, out) => {
        ctx.type = 'html';
        ctx.body = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title></head><body><main><h1>Sign-in error</h1><p>${String(out.error).replace(/[<>&"]/g, '')}</p></main></body></html>`;
      },
    };

    const provider = new Provider(o.issuer, configuration);
    provider.proxy = true;
    const issuer = new DevIssuer(provider, credentials, mountPath, jwks);
    provider.use(issuer.interactionRoutes(users, o.onLogin));
    return issuer;
  }

  /** The public JWKS (what the API verifies tokens with). */
  get publicJwks(): { keys: JWK[] } {
    return { keys: this.signingJwks.keys.map(({ d, p, q, dp, dq, qi, ...pub }) => pub) };
  }

  /** Private signing keys, for tests that forge tokens with the IdP's real key. */
  get privateJwks(): { keys: JWK[] } {
    return this.signingJwks;
  }

  /** Serves a request whose URL starts with the mount path (the caller has checked). */
  handle(req: IncomingMessage, res: ServerResponse): void {
    const original = req.url ?? '/';
    (req as IncomingMessage & { originalUrl?: string }).originalUrl = original;
    req.url = original.slice(this.mountPath.length) || '/';
    void this.provider.callback()(req, res);
  }

  private interactionRoutes(users: Map<string, DevUser>, onLogin?: (e: LoginEvent) => Promise<void>) {
    const byEmail = new Map([...users.values()].map((u) => [u.email.toLowerCase(), u]));
    return async (ctx: KoaContextWithOIDC, next: () => Promise<void>): Promise<void> => {
      const m = /^\/interaction\/([A-Za-z0-9_-]+)$/.exec(ctx.path);
      if (!m) return next();
      ctx.set('Cache-Control', 'no-store');
      ctx.set('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
      const details = await this.provider.interactionDetails(ctx.req, ctx.res);
      const clientId = String(details.params.client_id ?? '');
      const action = `${this.mountPath}/interaction/${details.uid}`;

      if (details.prompt.name === 'consent') {
        // First-party console: consent is implied; grant exactly what was asked.
        const grant = details.grantId ? await this.provider.Grant.find(details.grantId) : new this.provider.Grant({ accountId: details.session!.accountId, clientId });
        if (!grant) throw new Error('grant vanished');
        const missing = details.prompt.details as { missingOIDCScope?: string[]; missingOIDCClaims?: string[]; missingResourceScopes?: Record<string, string[]> };
        if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
        if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
        for (const [res, scopes] of Object.entries(missing.missingResourceScopes ?? {})) grant.addResourceScope(res, scopes.join(' '));
        const grantId = await grant.save();
        const to = await this.provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true });
        ctx.redirect(to);
        return;
      }

      if (ctx.method === 'GET') {
        ctx.type = 'html';
        ctx.body = loginPage(action, { clientName: clientId });
        return;
      }
      if (ctx.method !== 'POST') {
        ctx.status = 405;
        return;
      }
      const form = new URLSearchParams(await readBody(ctx.req, 8192));
      const email = (form.get('email') ?? '').trim().toLowerCase();
      const user = byEmail.get(email);
      const ok = !!user && passwordMatches(user.password, form.get('password') ?? '');
      if (onLogin) await onLogin({ outcome: ok ? 'success' : 'denied', email, clientId, ...(user ? { user } : {}) });
      if (!ok || !user) {
        ctx.status = 401;
        ctx.type = 'html';
        ctx.body = loginPage(action, { clientName: clientId, error: 'Wrong email or password.', email });
        return;
      }
      const to = await this.provider.interactionResult(ctx.req, ctx.res, { login: { accountId: user.id, amr: ['pwd'] } }, { mergeWithLastSubmission: false });
      ctx.redirect(to);
    };
  }
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new oidcErrors.InvalidRequest('form too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function loadOrCreateSigningKeys(path: string): Promise<{ keys: JWK[] }> {
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as { keys: JWK[] };
  const { privateKey } = await generateKeyPair('RS256', { modulusLength: 2048, extractable: true });
  const jwk = await exportJWK(privateKey);
  const key: JWK = { ...jwk, alg: 'RS256', use: 'sig', kid: await calculateJwkThumbprint(jwk) };
  const jwks = { keys: [key] };
  writeFileSync(path, JSON.stringify(jwks), { mode: 0o600, flag: 'wx' });
  return jwks;
}

function loadOrCreateSecret(path: string): string {
  if (!existsSync(path)) {
    mkdirSync(join(path, '..'), { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  return readFileSync(path, 'utf8').trim();
}

