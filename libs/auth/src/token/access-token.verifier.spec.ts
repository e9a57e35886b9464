import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SignJWT, exportJWK, generateKeyPair, type JWK, type CryptoKey } from 'jose';
import { AuthError } from '../auth.error.js';
import { AccessTokenVerifier } from './access-token.verifier.js';

/** A JWKS endpoint whose key set the test can rotate, counting how often it is fetched. */
class RotatingJwks {
  keys: JWK[] = [];
  fetches = 0;
  private server?: Server;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((_req, res) => {
      this.fetches += 1;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ keys: this.keys }));
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/jwks`;
  }
  stop(): Promise<void> {
    return new Promise((r) => this.server!.close(() => r()));
  }
}

async function newKey(kid: string): Promise<{ kid: string; privateKey: CryptoKey; jwk: JWK }> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  return { kid, privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' } };
}

const ISS = 'https://idp.example.test';
const AUD = 'urn:confide:api';

describe('AccessTokenVerifier', () => {
  const jwks = new RotatingJwks();
  beforeAll(() => jwks.start());
  afterAll(() => jwks.stop());

  const verifier = (cooldownSec: number): AccessTokenVerifier =>
    new AccessTokenVerifier({
      issuer: ISS,
      audience: AUD,
      algorithms: ['ES256'],
      rolesClaim: 'roles',
      tenantClaim: 'org_id',
      clockToleranceSec: 5,
      jwksUri: jwks.url,
      jwksCooldownSec: cooldownSec,
      jwksCacheMaxAgeSec: 600,
    });
  const sign = (k: { kid: string; privateKey: CryptoKey }, claims: Record<string, unknown> = {}): Promise<string> =>
    new SignJWT({ org_id: 'acme', roles: ['auditor', 'not-a-role'], iat: Math.floor(Date.now() / 1000), ...claims })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: k.kid })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setSubject('svc')
      .setExpirationTime('2h')
      .sign(k.privateKey);
  const reason = async (p: Promise<unknown>): Promise<string> => {
    try {
      await p;
      return 'accepted';
    } catch (e) {
      return (e as AuthError).code;
    }
  };

  it('picks up a rotated signing key without a restart, and caches keys between requests', async () => {
    const k1 = await newKey('k1');
    jwks.keys = [k1.jwk];
    jwks.fetches = 0;
    const v = verifier(0);
    const p = await v.verify(await sign(k1));
    expect(p).toMatchObject({ tenantId: 'acme', roles: ['auditor'] });
    await v.verify(await sign(k1));
    expect(jwks.fetches).toBe(1);

    const k2 = await newKey('k2');
    jwks.keys = [k1.jwk, k2.jwk];
    await new Promise((r) => setTimeout(r, 5));
    expect((await v.verify(await sign(k2))).subject).toBe('svc');
    expect(jwks.fetches).toBe(2);
  });

  it('refetches at most once per cooldown when flooded with unknown kids', async () => {
    const k1 = await newKey('k1');
    jwks.keys = [k1.jwk];
    const v = verifier(30);
    await v.verify(await sign(k1));
    jwks.fetches = 0;
    const attacker = await Promise.all(Array.from({ length: 100 }, (_, i) => newKey(`flood-${i}`)));
    const reasons = await Promise.all(attacker.map(async (k) => reason(v.verify(await sign(k)))));
    expect(new Set(reasons)).toEqual(new Set(['kid_unknown']));
    expect(jwks.fetches).toBeLessThanOrEqual(1);
  });

  it('remembers a verified token only until its exp, and verifies any other text in full', async () => {
    const k1 = await newKey('k1');
    jwks.keys = [k1.jwk];
    const v = new AccessTokenVerifier({
      issuer: ISS,
      audience: AUD,
      algorithms: ['ES256'],
      rolesClaim: 'roles',
      tenantClaim: 'org_id',
      clockToleranceSec: 0,
      jwksUri: jwks.url,
      jwksCooldownSec: 0,
      jwksCacheMaxAgeSec: 600,
    });
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await new SignJWT({ org_id: 'acme', roles: ['auditor'] })
      .setProtectedHeader({ alg: 'ES256', typ: 'at+jwt', kid: k1.kid })
      .setIssuer(ISS)
      .setAudience(AUD)
      .setSubject('svc')
      .setIssuedAt()
      .setExpirationTime(exp)
      .sign(k1.privateKey);
    expect((await v.verify(token)).tenantId).toBe('acme');
    expect((await v.verify(token)).tenantId).toBe('acme');
    // Same header and payload, another signature: not served from what was remembered.
    const [h, p, sig] = token.split('.') as [string, string, string];
    const flipped = Buffer.from(sig, 'base64url');
    flipped[10]! ^= 1;
    expect(await reason(v.verify(`${h}.${p}.${flipped.toString('base64url')}`))).toBe('signature_invalid');
    await new Promise((r) => setTimeout(r, (exp + 0.2) * 1000 - Date.now()));
    expect(await reason(v.verify(token))).toBe('token_expired');
  });

  it('rejects tokens issued in the future beyond the tolerance', async () => {
    const k1 = await newKey('k1');
    jwks.keys = [k1.jwk];
    expect(await reason(verifier(0).verify(await sign(k1, { iat: Math.floor(Date.now() / 1000) + 3600 })))).toBe('issued_in_future');
  });

  it('rejects a missing kid and a missing token distinctly', async () => {
    const k1 = await newKey('k1');
    const noKid = await new SignJWT({ org_id: 'acme' }).setProtectedHeader({ alg: 'ES256', typ: 'at+jwt' }).setIssuer(ISS).setAudience(AUD).setSubject('s').setIssuedAt().setExpirationTime('5m').sign(k1.privateKey);
    expect(await reason(verifier(0).verify(noKid))).toBe('kid_missing');
    expect(await reason(verifier(0).verify(undefined))).toBe('token_missing');
  });
});
