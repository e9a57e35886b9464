import { createPublicKey, randomUUID } from 'node:crypto';
import { Controller, Get, Module } from '@nestjs/common';
import { PATH_METADATA } from '@nestjs/common/constants.js';
import { CompactSign, SignJWT, importJWK, generateKeyPair, exportJWK, type JWK } from 'jose';
import { PERMISSION_KEY } from '@confide/auth';
import { ALL_APPS, APP_MODULES } from '../../apps/server/src/all-in-one.js';
import { loginWithPassword } from '../support/oidc-login.js';
import { startTestServer, type TestServer } from '../support/server.js';

/** A route that forgot to declare its permission: the global guard must deny it. */
@Controller('v1/forgotten')
class ForgottenController {
  @Get()
  secret(): { leaked: true } {
    return { leaked: true };
  }
}
@Module({ controllers: [ForgottenController] })
class ForgottenModule {}

describe('identity: OIDC bearer tokens against the real dev issuer (Postgres)', () => {
  let s: TestServer;
  let key: JWK;
  let kid: string;
  let adminToken: string;

  beforeAll(async () => {
    s = await startTestServer('postgres', {}, [ForgottenModule]);
    key = s.devIssuer!.privateJwks.keys[0]!;
    kid = key.kid!;
    adminToken = await s.token();
  });
  afterAll(async () => s?.stop());

  const call = (path: string, token?: string, init: RequestInit = {}): Promise<Response> =>
    fetch(`${s.url}${path}`, { ...init, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(init.headers as Record<string, string>) } });

  /** The internal reason the server logged for a request. */
  const reasonFor = (res: Response): string | undefined => {
    const id = res.headers.get('x-request-id');
    return s.logs.records().find((r) => r.requestId === id && typeof r.reason === 'string')?.reason as string | undefined;
  };

  const claims = (over: Record<string, unknown> = {}): Record<string, unknown> => ({
    iss: s.config.oidc.issuer,
    aud: s.config.oidc.audience,
    sub: 'attacker',
    org_id: 'acme',
    roles: ['admin'],
    iat: Math.floor(Date.now() / 1000),
    exp: Math.floor(Date.now() / 1000) + 600,
    jti: randomUUID(),
    ...over,
  });
  const forge = async (over: Record<string, unknown> = {}, header: Record<string, unknown> = {}): Promise<string> =>
    new SignJWT(claims(over)).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid, ...header }).sign(await importJWK(key, 'RS256'));

  it('accepts a real client-credentials token and takes the tenant from it', async () => {
    const res = await call('/v1/me', adminToken);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ subject: 'confide-cli', tenant_id: 'acme', roles: ['admin'] });
  });

  it('accepts a correctly signed forged-by-test token (the baseline for the attacks below)', async () => {
    expect((await call('/v1/me', await forge())).status).toBe(200);
  });

  const attacks: Array<[string, () => Promise<string>, string]> = [
    ['alg none', async () => {
      const enc = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString('base64url');
      return `${enc({ alg: 'none', typ: 'at+jwt', kid })}.${enc(claims())}.`;
    }, 'alg_none'],
    ['HS256 signed with the IdP public key', async () => {
      const pem = createPublicKey({ key: key as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
      return new SignJWT(claims()).setProtectedHeader({ alg: 'HS256', typ: 'at+jwt', kid }).sign(Buffer.from(pem));
    }, 'alg_not_allowed'],
    ['wrong iss', () => forge({ iss: 'https://evil.example/oidc' }), 'issuer_mismatch'],
    ['wrong aud', () => forge({ aud: 'urn:other:api' }), 'audience_mismatch'],
    ['expired', () => forge({ exp: Math.floor(Date.now() / 1000) - 3600, iat: Math.floor(Date.now() / 1000) - 7200 }), 'token_expired'],
    ['nbf in the future', () => forge({ nbf: Math.floor(Date.now() / 1000) + 3600 }), 'token_not_yet_valid'],
    ['kid with path characters', () => forge({}, { kid: '../../../../etc/passwd' }), 'kid_malformed'],
    ['kid with SQL', () => forge({}, { kid: "x' OR '1'='1" }), 'kid_malformed'],
    ['jku pointing elsewhere', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid: 'attacker', jku: 'https://evil.example/jwks.json' }).sign(privateKey);
    }, 'untrusted_key_header'],
    ['x5u pointing elsewhere', () => forge({}, { x5u: 'https://evil.example/cert.pem' }), 'untrusted_key_header'],
    ['embedded jwk', async () => {
      const { privateKey, publicKey } = await generateKeyPair('RS256');
      return new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid, jwk: await exportJWK(publicKey) }).sign(privateKey);
    }, 'untrusted_key_header'],
    ['signature by another key under the real kid', async () => {
      const { privateKey } = await generateKeyPair('RS256');
      return new SignJWT(claims()).setProtectedHeader({ alg: 'RS256', typ: 'at+jwt', kid }).sign(privateKey);
    }, 'signature_invalid'],
    ['payload changed after signing', async () => {
      const [h, , sig] = (await forge()).split('.');
      return `${h}.${Buffer.from(JSON.stringify(claims({ roles: ['admin'], org_id: 'globex' }))).toString('base64url')}.${sig}`;
    }, 'signature_invalid'],
    ['no tenant claim', () => forge({ org_id: undefined }), 'tenant_missing'],
    ['typ JWT (not an access token)', () => forge({}, { typ: 'JWT' }), 'type_mismatch'],
    ['garbage', async () => 'not-a-jwt', 'token_malformed'],
  ];

  it.each(attacks)('rejects %s with 401 and logs its own reason', async (_name, make, reason) => {
    const res = await call('/v1/me', await make());
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toContain('application/problem+json');
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toMatchObject({ status: 401, code: 'unauthorized' });
    expect(JSON.stringify(body)).not.toContain(reason);
    expect(reasonFor(res)).toBe(reason);
  });

  it('gives every attack a distinct internal reason (apart from deliberate variants)', () => {
    const reasons = new Set(attacks.map(([, , r]) => r));
    expect(reasons.size).toBeGreaterThanOrEqual(12);
  });

  it('rate-limits JWKS refetches under a flood of unknown kids', async () => {
    const jwksFetches = (): number => s.logs.records().filter((r) => (r.req as { url?: string } | undefined)?.url === '/oidc/jwks').length;
    const before = jwksFetches();
    const results = await Promise.all(Array.from({ length: 60 }, (_, i) => forge({}, { kid: `unknown-kid-${i}` }).then((t) => call('/v1/me', t))));
    expect(results.every((r) => r.status === 401)).toBe(true);
    expect(results.map(reasonFor).every((r) => r === 'kid_unknown')).toBe(true);
    expect(jwksFetches() - before).toBeLessThanOrEqual(1);
  });

  it('rejects an ID token used as an access token (typ)', async () => {
    const login = await loginWithPassword(s.config.oidc.issuer, 'confide-console', `${s.url}/auth/callback`, 'admin@confide.local', s.devIssuer!.credentials.users[0]!.password);
    if (login.status !== 'ok') throw new Error('login failed');
    const res = await call('/v1/me', login.tokens.id_token);
    expect(res.status).toBe(401);
    expect(reasonFor(res)).toBe('type_mismatch');
    // ...while the access token from the same sign-in works and carries the user's tenant and role.
    const me = await call('/v1/me', login.tokens.access_token);
    expect(await me.json()).toMatchObject({ subject: 'u-admin', tenant_id: 'acme', roles: ['admin'] });
  });

  it('audits sign-ins, and failed ones, without the raw email', async () => {
    const bad = await loginWithPassword(s.config.oidc.issuer, 'confide-console', `${s.url}/auth/callback`, 'auditor@confide.local', 'wrong-password');
    expect(bad.status).toBe('denied');
    await s.auditLog.drain();
    const entries = (await (await call('/v1/audit/entries?limit=1000', adminToken)).json()) as { data: Array<{ action: string; canonical: string }> };
    const logins = entries.data.filter((e) => e.action === 'auth.login');
    expect(logins.some((e) => e.canonical.includes('"outcome":"success"'))).toBe(true);
    expect(logins.some((e) => e.canonical.includes('"outcome":"denied"') && e.canonical.includes('bad_credentials'))).toBe(true);
    expect(entries.data.every((e) => !e.canonical.includes('@confide.local'))).toBe(true);
  });

  it('denies a route that declares no permission, even to an admin', async () => {
    const res = await call('/v1/forgotten', adminToken);
    expect(res.status).toBe(403);
    expect(reasonFor(res)).toBe('route_without_permission');
  });

  it('has a declared access rule on every route of every app', () => {
    const missing: string[] = [];
    const visit = (mod: unknown): void => {
      const controllers = (Reflect.getMetadata('controllers', mod as object) ?? []) as Array<new () => unknown>;
      for (const c of controllers) {
        for (const name of Object.getOwnPropertyNames(c.prototype)) {
          const fn = (c.prototype as Record<string, unknown>)[name];
          if (name === 'constructor' || typeof fn !== 'function' || Reflect.getMetadata(PATH_METADATA, fn) === undefined) continue;
          if (Reflect.getMetadata(PERMISSION_KEY, fn) === undefined && Reflect.getMetadata(PERMISSION_KEY, c) === undefined) missing.push(`${c.name}.${name}`);
        }
      }
    };
    for (const a of ALL_APPS) visit(APP_MODULES[a]);
    expect(missing).toEqual([]);
  });

  it('lets a data engineer change nothing that needs admin and read no audit log', async () => {
    const engineer = await s.token('engineer-cli');
    expect((await call('/v1/audit/entries', engineer)).status).toBe(403);
    const patch = await call('/v1/organization', engineer, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"display_name":"x"}' });
    expect(patch.status).toBe(403);
  });

  it('never lets tenant A read tenant B\'s data', async () => {
    const globex = await s.token('globex-cli');
    const patch = await call('/v1/organization', adminToken, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"display_name":"Acme Corp"}' });
    expect(patch.status).toBe(200);
    await s.auditLog.drain();
    const org = (await (await call('/v1/organization', globex)).json()) as { id: string; display_name: string };
    expect(org).toMatchObject({ id: 'globex', display_name: 'globex' });
    const acmeEntries = (await (await call('/v1/audit/entries', adminToken)).json()) as { data: Array<{ index: number }> };
    const acmeIndex = acmeEntries.data.at(-1)!.index;
    const globexEntries = (await (await call('/v1/audit/entries', globex)).json()) as { data: Array<{ index: number }> };
    expect(globexEntries.data.map((e) => e.index)).not.toContain(acmeIndex);
    expect((await call(`/v1/audit/entries/${acmeIndex}`, globex)).status).toBe(404);
    expect((await call(`/v1/audit/entries/${acmeIndex}`, adminToken)).status).toBe(200);
    // A tenant id in the body is not a field: it is refused, never used.
    const sneaky = await call('/v1/organization', globex, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"id":"acme","display_name":"pwned"}' });
    expect(sneaky.status).toBe(400);
    expect(((await (await call('/v1/organization', adminToken)).json()) as { display_name: string }).display_name).toBe('Acme Corp');
  });

  it('answers bad input with problem+json naming the field, never echoing values', async () => {
    const res = await call('/v1/organization', adminToken, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"data_residency":["EU WEST <script>"]}' });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { code: string; errors: Array<{ field: string }> };
    expect(body.code).toBe('validation_failed');
    expect(body.errors[0]!.field).toBe('body.data_residency.0');
    expect(JSON.stringify(body)).not.toContain('<script>');
    const json = await call('/v1/organization', adminToken, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"display_name":' });
    expect(json.status).toBe(400);
    expect(((await json.json()) as { code: string }).code).toBe('invalid_json');
    const big = await call('/v1/organization', adminToken, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ display_name: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(big.status).toBe(413);
  });

  it('serves the OpenAPI document and docs', async () => {
    const doc = (await (await fetch(`${s.url}/openapi.json`)).json()) as { paths: Record<string, unknown> };
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/v1/organization', '/v1/audit/proofs/inclusion', '/health', '/ready']));
    expect((await fetch(`${s.url}/docs`)).status).toBe(200);
  });
});
