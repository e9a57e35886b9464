import { webcrypto } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { canonicalJson } from '@confide/domain';
import { createHash } from 'node:crypto';

import { readFileSync } from 'node:fs';

import { AttestationError } from '../attestation.error.js';
import { NitroVerifier } from '../nitro/nitro.verifier.js';
import { FakeNitroPki } from '../nitro/testing/fake-nitro-pki.js';
import { SimulatedAttester } from '../simulated/simulated-attester.js';
import {
  bindingReportData,
  compositeEvidenceFromJson,
  compositeEvidenceToJson,
  jwkThumbprint,
  type CompositeEvidence,
  type TeePublicJwk,
} from './composite-evidence.js';
import { CompositeVerifier } from './composite.verifier.js';

const at = new Date();
const nonce = new Uint8Array(32).map((_, i) => i + 1);
const otherNonce = new Uint8Array(32).fill(0xee);

async function teeKey(): Promise<TeePublicJwk> {
  const pair = (await webcrypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-384' }, true, ['deriveBits'])) as CryptoKeyPair;
  const { kty, crv, x, y } = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
  return { kty: kty as 'EC', crv: crv as 'P-384', x: x!, y: y! };
}

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof AttestationError) return e.code;
    throw e;
  }
}

describe('bindingReportData', () => {
  it('is SHA-512 of the RFC 8785 canonical JSON of nonce, key and GPU evidence digests', () => {
    const jwk = { kty: 'EC', crv: 'P-256', x: 'AA', y: 'BB', kid: 'ignored' } as TeePublicJwk;
    const gpu = new Uint8Array([1, 2, 3]);
    const expected = createHash('sha512')
      .update(
        canonicalJson({
          gpu_evidence_sha256: [createHash('sha256').update(gpu).digest('hex')],
          nonce: Buffer.from(nonce).toString('hex'),
          tee_public_jwk: { crv: 'P-256', kty: 'EC', x: 'AA', y: 'BB' },
        }),
      )
      .digest();
    expect(Buffer.from(bindingReportData(nonce, jwk, [gpu]))).toEqual(expected);
    expect(bindingReportData(nonce, jwk, [])).toHaveLength(64);
    expect(Buffer.from(bindingReportData(nonce, jwk, []))).not.toEqual(expected);
  });
});

describe('CompositeVerifier', () => {
  let attester: SimulatedAttester;
  let verifier: CompositeVerifier;
  let jwk: TeePublicJwk;
  let bundle: CompositeEvidence;
  beforeAll(async () => {
    attester = await SimulatedAttester.loadOrCreate(await mkdtemp(join(tmpdir(), 'confide-composite-')));
    verifier = new CompositeVerifier({ simulatedAnchors: attester.anchors });
    jwk = await teeKey();
    bundle = await attester.compositeEvidence({ nonce, teePublicJwk: jwk, gpus: 2 });
  }, 30_000);

  it('verifies SNP + 2 H100s bound to the nonce and the TEE key, marked simulated', async () => {
    const v = await verifier.verify(bundle, { nonce, at, allowSimulated: true });
    expect(v.simulated).toBe(true);
    expect(v.cpu.teeType).toBe('sev-snp');
    expect(v.gpus).toHaveLength(2);
    expect(v.gpus.every((g) => g.simulated)).toBe(true);
    expect(v.teeKeyThumbprint).toBe(jwkThumbprint(jwk));
    expect(v.reportData).toBe(Buffer.from(bindingReportData(nonce, jwk, bundle.gpus.map((g) => g.evidence))).toString('hex'));
  });

  it('verifies a TDX + H100 bundle', async () => {
    const tdx = await attester.compositeEvidence({ nonce, teePublicJwk: jwk, cpu: 'tdx' });
    const v = await verifier.verify(tdx, { nonce, at, allowSimulated: true });
    expect(v.cpu.teeType).toBe('tdx');
  });

  it('survives the JSON wire form', async () => {
    const round = compositeEvidenceFromJson(JSON.parse(JSON.stringify(compositeEvidenceToJson(bundle))));
    expect((await verifier.verify(round, { nonce, at, allowSimulated: true })).gpus).toHaveLength(2);
  });

  it('refuses simulated evidence without allowSimulated', async () => {
    expect(await code(verifier.verify(bundle, { nonce, at }))).toBe('simulated_not_allowed');
    // Without the dev anchors configured at all, the chain simply does not reach a production root.
    expect(await code(new CompositeVerifier().verify(bundle, { nonce, at, allowSimulated: true }))).toMatch(/^certificate_/);
  });

  it('refuses a swapped TEE key (report data binds the original key)', async () => {
    const swapped = { ...bundle, teePublicJwk: await teeKey() };
    expect(await code(verifier.verify(swapped, { nonce, at, allowSimulated: true }))).toBe('report_data_mismatch');
  });

  it('refuses GPU evidence produced for another nonce', async () => {
    const old = await attester.compositeEvidence({ nonce: otherNonce, teePublicJwk: jwk });
    const mixed = { ...bundle, gpus: [bundle.gpus[0]!, old.gpus[0]!] };
    expect(await code(verifier.verify(mixed, { nonce, at, allowSimulated: true }))).toBe('nonce_mismatch');
  });

  it('refuses GPU evidence from the same nonce that the CPU report did not bind (another GPU swapped in)', async () => {
    const g = await attester.gpuReport({ nonce, ccMode: 'devtools' });
    const swapped = { ...bundle, gpus: [bundle.gpus[0]!, { format: 'nvidia-spdm' as const, evidence: g.report, certificates: bundle.gpus[1]!.certificates }] };
    expect(await code(verifier.verify(swapped, { nonce, at, allowSimulated: true }))).toBe('report_data_mismatch');
    expect(await code(verifier.verify({ ...bundle, gpus: bundle.gpus.slice(0, 1) }, { nonce, at, allowSimulated: true }))).toBe('report_data_mismatch');
  });

  it('refuses a replayed bundle for a new challenge', async () => {
    // Whole bundle replayed: GPUs carry the old nonce.
    expect(await code(verifier.verify(bundle, { nonce: otherNonce, at, allowSimulated: true }))).toBe('nonce_mismatch');
    // CPU report replayed alongside fresh GPU evidence for the new nonce.
    const fresh = await attester.compositeEvidence({ nonce: otherNonce, teePublicJwk: jwk, gpus: 2 });
    const replayed = { ...fresh, cpu: bundle.cpu };
    expect(await code(verifier.verify(replayed, { nonce: otherNonce, at, allowSimulated: true }))).toBe('report_data_mismatch');
  });

  it('refuses private keys, malformed keys and bad nonces before any signature work', async () => {
    expect(await code(verifier.verify({ ...bundle, teePublicJwk: { ...jwk, d: 'AAAA' } as TeePublicJwk }, { nonce, at, allowSimulated: true }))).toBe('key_binding_mismatch');
    expect(await code(verifier.verify({ ...bundle, teePublicJwk: { ...jwk, x: 'AA' } }, { nonce, at, allowSimulated: true }))).toBe('key_binding_mismatch');
    expect(await code(verifier.verify(bundle, { nonce: new Uint8Array(4), at, allowSimulated: true }))).toBe('evidence_malformed');
  });

  it('passes verifier failures through with their own codes (tampered CPU report)', async () => {
    const bad = bundle.cpu.evidence.slice();
    bad[0x50]! ^= 1;
    const cpu = { ...bundle.cpu, evidence: bad };
    expect(await code(verifier.verify({ ...bundle, cpu } as CompositeEvidence, { nonce, at, allowSimulated: true }))).toBe('signature_invalid');
  });
});

describe('CompositeVerifier with an AWS Nitro CPU part (the binding lives in user_data)', () => {
  let pki: FakeNitroPki;
  let verifier: CompositeVerifier;
  let jwk: TeePublicJwk;
  const docAt = new Date('2025-01-01T00:00:00Z');
  beforeAll(async () => {
    pki = await FakeNitroPki.create();
    verifier = new CompositeVerifier({ nitro: new NitroVerifier({ trustAnchorsPem: pki.rootPem }) });
    jwk = await teeKey();
  });
  const bundle = async (userData: Uint8Array): Promise<CompositeEvidence> => ({
    cpu: { format: 'aws-nitro', evidence: await pki.document(pki.payload({ userData })) },
    gpus: [],
    teePublicJwk: jwk,
  });

  it('verifies when user_data is the SHA-512 binding of the nonce and TEE key; another nonce or key is refused', async () => {
    const b = await bundle(bindingReportData(nonce, jwk, []));
    const v = await verifier.verify(b, { nonce, at: docAt });
    expect([v.cpu.teeType, v.cpu.format, v.simulated, v.reportData]).toEqual(['aws-nitro', 'aws-nitro', false, Buffer.from(bindingReportData(nonce, jwk, [])).toString('hex')]);
    expect(v.teeKeyThumbprint).toBe(jwkThumbprint(jwk));
    expect(await code(verifier.verify(b, { nonce: otherNonce, at: docAt }))).toBe('report_data_mismatch');
    expect(await code(verifier.verify({ ...b, teePublicJwk: await teeKey() }, { nonce, at: docAt }))).toBe('report_data_mismatch');
    expect(await code(verifier.verify(await bundle(new Uint8Array(0)), { nonce, at: docAt }))).toBe('report_data_mismatch');
  });

  it('round-trips through the JSON wire form; the default verifier trusts only the AWS root', async () => {
    const b = await bundle(bindingReportData(nonce, jwk, []));
    const again = compositeEvidenceFromJson(JSON.parse(JSON.stringify(compositeEvidenceToJson(b))));
    expect(again.cpu.format).toBe('aws-nitro');
    expect(await code(verifier.verify(again, { nonce, at: docAt }))).toBe('ok');
    expect(await code(new CompositeVerifier().verify(b, { nonce, at: docAt }))).toBe('certificate_untrusted_root');
    // The real document verifies, but its user_data (1024 × 0x01) binds no challenge.
    const real = new Uint8Array(readFileSync(new URL('../../../../test/fixtures/attestation/nitro-blocky-attestation-doc.cbor', import.meta.url)));
    const realBundle: CompositeEvidence = { cpu: { format: 'aws-nitro', evidence: real }, gpus: [], teePublicJwk: jwk };
    expect(await code(new CompositeVerifier().verify(realBundle, { nonce, at: new Date('2024-09-07T14:37:39.545Z') }))).toBe('report_data_mismatch');
  });
});
