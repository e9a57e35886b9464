import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from '@jest/globals';
import { exportJWK, generateKeyPair, SignJWT, type JWK } from 'jose';

import { fromHex } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { NRAS_COLLATERAL_KEYS, NRAS_ISSUER, NrasEatVerifier } from './nras-eat.verifier.js';

const verifier = new NrasEatVerifier();
const NONCE = '080c405ce6789e1761445180029523df3ae49576043f7f0868413a38e5e9a84e';
const IAT = 1_782_698_883;
const inside = new Date((IAT + 60) * 1000);

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof AttestationError) return error.code;
    throw error;
  }
}

const encode = (value: unknown): Uint8Array => new TextEncoder().encode(JSON.stringify(value));
const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

/** A test NRAS: an ES384 key with a kid, and tokens in NRAS's detached-EAT shape. */
let jwks: { keys: JWK[] };
let sign: (claims: Record<string, unknown>, kid?: string) => Promise<string>;

beforeAll(async () => {
  const { privateKey, publicKey } = await generateKeyPair('ES384');
  jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'nv-eat-kid-test', alg: 'ES384' }] };
  sign = (claims, kid = 'nv-eat-kid-test') =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES384', kid })
      .setIssuer(NRAS_ISSUER)
      .setIssuedAt(IAT)
      .setNotBefore(IAT)
      .setExpirationTime(IAT + 3600)
      .sign(privateKey);
});

async function makeEat(overrides: { device?: Record<string, unknown>; digest?: string; kid?: string } = {}): Promise<unknown> {
  const device = await sign({
    eat_nonce: NONCE,
    hwmodel: 'GH100',
    dbgstat: 'disabled',
    measres: 'success',
    'x-nvidia-gpu-driver-version': '595.71.05',
    'x-nvidia-gpu-vbios-version': '96.00.D9.00.02',
    ...overrides.device,
  });
  const overall = await sign(
    {
      eat_nonce: NONCE,
      'x-nvidia-overall-att-result': true,
      submods: { 'GPU-0': ['DIGEST', ['SHA-256', overrides.digest ?? sha256(device)]] },
    },
    overrides.kid,
  );
  return [['JWT', overall], { 'GPU-0': device }];
}

const options = (extra: Record<string, unknown> = {}) => ({
  at: inside,
  collateral: { [NRAS_COLLATERAL_KEYS.jwks]: encode(jwks) },
  ...extra,
});

describe('NrasEatVerifier', () => {
  it('verifies a well-formed EAT at a time inside [iat, exp] and exposes the NRAS claims', async () => {
    const claims = await verifier.verify(encode(await makeEat()), options({ expectedReportData: fromHex(NONCE) }));
    expect(claims).toMatchObject({
      format: 'nvidia-nras-eat',
      teeType: 'nvidia-h100',
      reportData: NONCE,
      debug: false,
      tcb: { 'GPU-0': { driverVersion: '595.71.05', vbiosVersion: '96.00.D9.00.02' } },
      details: { overallResult: true },
    });
  });

  it('after exp → token_expired; before iat/nbf → token_expired', async () => {
    const eat = encode(await makeEat());
    expect(await codeOf(verifier.verify(eat, options({ at: new Date((IAT + 3601) * 1000) })))).toBe('token_expired');
    expect(await codeOf(verifier.verify(eat, options({ at: new Date((IAT - 600) * 1000) })))).toBe('token_expired');
  });

  it('kid not in the JWKS → key_unknown', async () => {
    expect(await codeOf(verifier.verify(encode(await makeEat({ kid: 'rotated-out' })), options()))).toBe('key_unknown');
  });

  it('flipped bit in a token signature → signature_invalid', async () => {
    const [[, overall], devices] = (await makeEat()) as [[string, string], Record<string, string>];
    const parts = overall.split('.');
    const sig = Buffer.from(parts[2]!, 'base64url');
    sig[10]! ^= 0x01;
    const tampered = [['JWT', `${parts[0]}.${parts[1]}.${sig.toString('base64url')}`], devices];
    expect(await codeOf(verifier.verify(encode(tampered), options()))).toBe('signature_invalid');
  });

  it('device token not matching its submods digest → token_claims_invalid', async () => {
    expect(await codeOf(verifier.verify(encode(await makeEat({ digest: '00'.repeat(32) })), options()))).toBe(
      'token_claims_invalid',
    );
  });

  it('device token carrying another nonce → token_claims_invalid; wrong expected nonce → report_data_mismatch', async () => {
    expect(await codeOf(verifier.verify(encode(await makeEat({ device: { eat_nonce: '00'.repeat(32) } })), options()))).toBe(
      'token_claims_invalid',
    );
    expect(await codeOf(verifier.verify(encode(await makeEat()), options({ expectedReportData: new Uint8Array(32) })))).toBe(
      'report_data_mismatch',
    );
  });

  it('debug-enabled GPU is reported as debug (for appraisal to refuse)', async () => {
    const claims = await verifier.verify(encode(await makeEat({ device: { dbgstat: 'enabled' } })), options());
    expect(claims.debug).toBe(true);
  });

  it('no JWKS → collateral_missing; not an EAT → evidence_malformed', async () => {
    expect(await codeOf(verifier.verify(encode(await makeEat()), { at: inside }))).toBe('collateral_missing');
    expect(await codeOf(verifier.verify(encode({ not: 'an eat' }), options()))).toBe('evidence_malformed');
  });
});

/**
 * Hand check against the real NRAS capture (AGPL-origin, so never copied into this repository): runs only where the
 * shared test-data folder is mounted, and is skipped elsewhere.
 */
const SHARED = '/work/shared/testdata/attestation/';
const realCapture = existsSync(`${SHARED}nvidia-nras-eat-tinfoil.json`) ? describe : describe.skip;
realCapture('NrasEatVerifier on the captured NRAS token (shared folder only)', () => {
  const eat = (): Uint8Array => new Uint8Array(readFileSync(`${SHARED}nvidia-nras-eat-tinfoil.json`));
  const capturedJwks = (): Uint8Array => new Uint8Array(readFileSync(`${SHARED}nvidia-nras-jwks-at-capture.json`));

  it('valid with the captured JWKS inside [iat, exp]', async () => {
    const v = await verifier.verify(eat(), {
      at: new Date('2026-06-29T02:30:00Z'),
      collateral: { [NRAS_COLLATERAL_KEYS.jwks]: capturedJwks() },
      expectedReportData: fromHex(NONCE),
    });
    expect(v).toMatchObject({ reportData: NONCE, debug: false, details: { overallResult: true } });
  });

  it('expired an hour later', async () => {
    const at = new Date('2026-06-29T03:08:04Z');
    expect(await codeOf(verifier.verify(eat(), { at, collateral: { [NRAS_COLLATERAL_KEYS.jwks]: capturedJwks() } }))).toBe(
      'token_expired',
    );
  });
});
