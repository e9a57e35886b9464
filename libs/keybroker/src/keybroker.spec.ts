import { randomBytes } from 'node:crypto';
import { compactDecrypt, decodeProtectedHeader, exportJWK, generateKeyPair, SignJWT } from 'jose';
import { AttestationResultSigner, type AttestationResultClaims } from './attestation-result.js';
import { encryptDekForTee } from './dek-jwe.js';
import { denialReasonOf, KeyBrokerError } from './keybroker.error.js';
import { evaluateReleasePolicy, type ReleasePolicy } from './release-policy.js';
import { signReportExport, verifyReportExport } from './report-export.js';
import { ServiceSigningKey } from './service-signing-key.js';
import { normaliseTeePublicJwk, teeKeyThumbprint } from './tee-key.js';

const claims = (over: Partial<AttestationResultClaims> = {}): AttestationResultClaims => ({
  status: 'affirming',
  teeType: 'sev-snp',
  measurement: 'ab'.repeat(48),
  tcb: { snp: 22 },
  policyId: 'snp-default@1',
  policyHash: 'sha256:00',
  simulated: false,
  teeKeyThumbprint: 'jkt',
  reportId: '7f1c9b8e-0000-4000-8000-000000000001',
  tenantId: 'acme',
  jobId: 'job-1',
  leaseEpoch: 3,
  gpuMeasurements: [],
  ...over,
});

async function denial(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (error) {
    if (error instanceof KeyBrokerError) return denialReasonOf(error);
    throw error;
  }
  return undefined;
}

describe('AttestationResultSigner', () => {
  let key: ServiceSigningKey;
  let signer: AttestationResultSigner;
  beforeAll(async () => {
    key = await ServiceSigningKey.generate();
    signer = new AttestationResultSigner(key, 'http://127.0.0.1/attestation');
  });

  it('round-trips the claims with cnf.jkt', async () => {
    const { token } = await signer.sign(claims({ teeKeyThumbprint: 'abc' }));
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES384', typ: 'ar+jwt', kid: key.kid });
    const back = await signer.verify(token);
    expect(back).toMatchObject({ teeKeyThumbprint: 'abc', leaseEpoch: 3, status: 'affirming' });
  });

  it('refuses expired, tampered, foreign-key and wrongly typed tokens with distinct reasons', async () => {
    const { token } = await signer.sign(claims(), new Date(Date.now() - 3600_000));
    expect(await denial(signer.verify(token))).toBe('result_expired');

    const good = (await signer.sign(claims())).token;
    const [h, p, s] = good.split('.');
    const payload = JSON.parse(Buffer.from(p!, 'base64url').toString()) as Record<string, unknown>;
    const forged = `${h}.${Buffer.from(JSON.stringify({ ...payload, cnf: { jkt: 'attacker' } })).toString('base64url')}.${s}`;
    expect(await denial(signer.verify(forged))).toBe('result_signature_invalid');
    expect(await denial(signer.verify(`${good} `))).toBe('result_malformed');

    const other = new AttestationResultSigner(await ServiceSigningKey.generate(), 'http://127.0.0.1/attestation');
    expect(await denial(signer.verify((await other.sign(claims())).token))).toBe('result_signature_invalid');

    const untyped = await new SignJWT({ ...payload }).setProtectedHeader({ alg: 'ES384', kid: key.kid }).sign(key.privateKey);
    expect(await denial(signer.verify(untyped))).toBe('result_claims_invalid');

    const wrongIssuer = new AttestationResultSigner(key, 'http://elsewhere/attestation');
    expect(await denial(signer.verify((await wrongIssuer.sign(claims())).token))).toBe('result_claims_invalid');
  });
});

describe('release policy', () => {
  const policy: ReleasePolicy = {
    allowedTeeTypes: ['sev-snp'],
    allowedPolicyIds: ['snp-default@1'],
    minimumStatus: 'affirming',
    allowSimulated: false,
  };
  const result = { ...claims(), issuedAt: 0, expiresAt: 0 };

  it('allows a matching affirming result and denies each mismatch with its own reason', () => {
    expect(evaluateReleasePolicy(policy, result, {})).toBeNull();
    expect(evaluateReleasePolicy(policy, { ...result, status: 'warning' }, {})).toBe('policy_status_insufficient');
    expect(evaluateReleasePolicy({ ...policy, minimumStatus: 'warning' }, { ...result, status: 'warning' }, {})).toBeNull();
    expect(evaluateReleasePolicy({ ...policy, minimumStatus: 'warning' }, { ...result, status: 'contraindicated' }, {})).toBe('policy_status_insufficient');
    expect(evaluateReleasePolicy(policy, { ...result, simulated: true }, {})).toBe('policy_simulated_not_allowed');
    expect(evaluateReleasePolicy(policy, { ...result, teeType: 'tdx' }, {})).toBe('policy_tee_type_not_allowed');
    expect(evaluateReleasePolicy(policy, { ...result, policyId: 'lax@1' }, {})).toBe('policy_not_allowed');
    expect(evaluateReleasePolicy({ ...policy, allowedMeasurements: ['cd'.repeat(48)] }, result, {})).toBe('policy_measurement_not_allowed');
    expect(evaluateReleasePolicy({ ...policy, allowedMeasurements: ['AB'.repeat(48)] }, result, {})).toBeNull();
    expect(evaluateReleasePolicy({ ...policy, residency: ['eu'] }, result, {})).toBe('policy_residency_not_allowed');
    expect(evaluateReleasePolicy({ ...policy, residency: ['eu'] }, result, { nodeRegion: 'us-east-1' })).toBe('policy_residency_not_allowed');
    expect(evaluateReleasePolicy({ ...policy, residency: ['eu'] }, result, { nodeRegion: 'eu-west-1' })).toBeNull();
    expect(evaluateReleasePolicy({ ...policy, allowedTeeTypes: [] }, result, {})).toBe('policy_tee_type_not_allowed');
  });
});

describe('DEK JWE to the TEE key', () => {
  it('decrypts only with the TEE private key, with ECDH-ES+A256KW/A256GCM and no zip', async () => {
    const tee = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384', extractable: true });
    const jwk = await normaliseTeePublicJwk(await exportJWK(tee.publicKey));
    const dek = randomBytes(32);
    const jwe = await encryptDekForTee(dek, jwk, { keyId: 'k1', keyVersion: 1, datasetId: 'ds', reportId: 'r1' });
    const header = decodeProtectedHeader(jwe);
    expect(header).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'k1' });
    expect(header.zip).toBeUndefined();
    const { plaintext } = await compactDecrypt(jwe, tee.privateKey, { keyManagementAlgorithms: ['ECDH-ES+A256KW'], contentEncryptionAlgorithms: ['A256GCM'] });
    expect(Buffer.from(plaintext).equals(dek)).toBe(true);
    const other = await generateKeyPair('ECDH-ES+A256KW', { crv: 'P-384' });
    await expect(compactDecrypt(jwe, other.privateKey)).rejects.toThrow();
  });

  it.each(['P-256', 'P-384', 'P-521'] as const)('interoperates with jose on %s (fresh epk on the same curve, headers authenticated)', async (crv) => {
    const tee = await generateKeyPair('ECDH-ES+A256KW', { crv, extractable: true });
    const jwk = await normaliseTeePublicJwk(await exportJWK(tee.publicKey));
    const dek = randomBytes(32);
    const meta = { keyId: 'k2', keyVersion: 3, datasetId: 'ds-2', reportId: 'r2' };
    const [a, b] = [await encryptDekForTee(dek, jwk, meta), await encryptDekForTee(dek, jwk, meta)];
    const ha = decodeProtectedHeader(a);
    const hb = decodeProtectedHeader(b);
    expect(ha).toMatchObject({ alg: 'ECDH-ES+A256KW', enc: 'A256GCM', kid: 'k2', 'confide:key_version': 3, 'confide:dataset_id': 'ds-2', 'confide:report_id': 'r2' });
    expect(ha.epk).toMatchObject({ kty: 'EC', crv });
    expect((ha.epk as { x?: string }).x).not.toBe((hb.epk as { x?: string }).x); // a fresh ephemeral key per JWE
    const options = { keyManagementAlgorithms: ['ECDH-ES+A256KW'], contentEncryptionAlgorithms: ['A256GCM'] };
    const { plaintext } = await compactDecrypt(a, tee.privateKey, options);
    expect(Buffer.from(plaintext).equals(dek)).toBe(true);
    // Any change to the protected header (which carries the ids) breaks the GCM tag.
    const [h, ...rest] = a.split('.');
    const forged = Buffer.from(JSON.stringify({ ...ha, 'confide:dataset_id': 'other' })).toString('base64url');
    expect(h).not.toBe(forged);
    await expect(compactDecrypt([forged, ...rest].join('.'), tee.privateKey, options)).rejects.toThrow();
  });
});

describe('TEE key and report-data binding', () => {
  it('refuses private, non-EC and off-curve keys', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    const pub = await exportJWK(publicKey);
    await expect(normaliseTeePublicJwk(await exportJWK(privateKey))).rejects.toThrow(KeyBrokerError);
    await expect(normaliseTeePublicJwk({ kty: 'oct', k: 'AAAA' })).rejects.toThrow(KeyBrokerError);
    await expect(normaliseTeePublicJwk({ ...pub, y: pub.x })).rejects.toThrow(KeyBrokerError);
    const ok = await normaliseTeePublicJwk({ ...pub, kid: 'ignored', alg: 'ES384' });
    expect(Object.keys(ok).sort()).toEqual(['crv', 'kty', 'x', 'y']);
    expect(await teeKeyThumbprint(ok)).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });
});

describe('report export', () => {
  it('verifies against the JWKS and fails on any change', async () => {
    const key = await ServiceSigningKey.generate();
    const jws = await signReportExport(key, { id: 'r1', verdict: 'affirming' });
    expect(await verifyReportExport(jws, key.jwks())).toEqual({ id: 'r1', verdict: 'affirming' });
    const [h, , s] = jws.split('.');
    const altered = `${h}.${Buffer.from('{"id":"r1","verdict":"warning"}').toString('base64url')}.${s}`;
    await expect(verifyReportExport(altered, key.jwks())).rejects.toThrow();
    await expect(verifyReportExport(jws, (await ServiceSigningKey.generate()).jwks())).rejects.toThrow();
  });
});
