import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { AttestationError, type AttestationErrorCode } from '../attestation.error.js';
import type { VerifyOptions } from '../verifier.js';
import { createFakeIntelPki, pckLeafDer, requoteWithFakePck, signCollateral, type FakeIntelPki } from './fake-intel-pki.js';
import { certificatesFromPemOrDer } from '../common/index.js';
import { parseTdxQuote } from './tdx-quote.js';
import { serializeTdxQuote } from './tdx-quote.writer.js';
import { TdxVerifier } from './tdx.verifier.js';
import { INTEL_SGX_ROOT_CA_PEM } from './intel-roots.js';
import { QUOTES, collateral2023, intelFixture, tdxFixture } from './tdx-test-fixtures.js';

const AT_2023 = new Date('2023-07-01T00:00:00Z');
const AT_2026 = new Date('2026-02-03T00:00:00Z');
const AT_Q6 = new Date('2025-10-28T12:00:00Z');
const strict = new TdxVerifier();
const lenient = new TdxVerifier({ requireCollateral: false });
const chain2025 = (): Uint8Array => intelFixture('intel-tcb-signing-chain-2025-2032.pem');

async function failure(verifier: TdxVerifier, quote: Uint8Array, options: VerifyOptions): Promise<AttestationErrorCode | 'verified'> {
  try {
    await verifier.verifyQuote(quote, options);
    return 'verified';
  } catch (error) {
    if (error instanceof AttestationError) return error.code;
    throw error;
  }
}

function flip(bytes: Uint8Array, offset: number, bit = 0): Uint8Array {
  const copy = new Uint8Array(bytes);
  copy[offset]! ^= 1 << bit;
  return copy;
}

/** The 2023 vector with full collateral except TCB info (its TCB is below every level in that TCB info). */
function spr2023NoTcbInfo(): Record<string, Uint8Array> {
  const { tcbInfo: _unused, ...rest } = collateral2023();
  return rest;
}

describe('TdxVerifier on the real vectors', () => {
  it('trustee quote 4 (debug TD) verifies with full 2023 collateral and CRLs: UpToDate, debug reported', async () => {
    const evidence = await strict.verify(tdxFixture(QUOTES.trusteeDebug), { at: AT_2023, collateral: collateral2023() });
    expect(evidence).toMatchObject({
      format: 'tdx',
      teeType: 'tdx',
      simulated: false,
      debug: true,
      measurement: '705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031',
    });
    expect(evidence.tcb).toMatchObject({ status: 'UpToDate', qeStatus: 'UpToDate', fmspc: '50806f000000', pceSvn: 11, tcbEvaluationDataNumber: 15 });
    expect(evidence.details).toMatchObject({ collateralChecked: { tcbInfo: true, qeIdentity: true, pckCrl: true, rootCaCrl: true } });
  });

  it('v4 SPR: chain, QE and quote valid at 2023-07-01; its TCB reaches no level of the 2023 TCB info (as upstream)', async () => {
    const quote = tdxFixture(QUOTES.sprV4);
    expect(await failure(strict, quote, { at: AT_2023, collateral: collateral2023() })).toBe('tcb_level_not_found');
    const v = await lenient.verifyQuote(quote, { at: AT_2023, collateral: spr2023NoTcbInfo() });
    expect(v.qeTcb?.status).toBe('UpToDate');
    expect(v.collateralChecked).toEqual({ tcbInfo: false, qeIdentity: true, pckCrl: true, rootCaCrl: true });
    expect(v.tcb).toBeUndefined();
    expect(await failure(strict, quote, { at: AT_2023, collateral: spr2023NoTcbInfo() })).toBe('collateral_missing');
  });

  it('v4 SPR fails the time check at 2053-07-01 (as upstream), and before its PCK certificate was issued', async () => {
    expect(await failure(lenient, tdxFixture(QUOTES.sprV4), { at: new Date('2053-07-01T00:00:00Z') })).toBe('certificate_expired');
    expect(await failure(lenient, tdxFixture(QUOTES.sprV4), { at: new Date('2015-01-01T00:00:00Z') })).toBe('certificate_not_yet_valid');
  });

  it('v5 EMR (TD 1.5) verifies at 2026-02-03 against TCB info v3 with module identities: UpToDate via TDX_01', async () => {
    const collateral = { tcbInfo: tdxFixture('tdx-gotdxguest-tcbinfo-90c06f000000.json'), tcbInfoIssuerChain: chain2025() };
    const v = await lenient.verifyQuote(tdxFixture(QUOTES.emrV5), { at: AT_2026, collateral });
    expect(v.tcb?.status).toBe('UpToDate');
    expect(v.tcb?.tdxModule).toMatchObject({ id: 'TDX_01', status: 'UpToDate' });
    expect(v.quote.body.bodyType).toBe('tdx15');
    // The 2018–2025 TCB signing certificate had expired by then (same key, renewed certificate).
    const oldChain = { ...collateral, tcbInfoIssuerChain: intelFixture('intel-tcb-signing-chain-2018-2025.pem') };
    expect(await failure(lenient, tdxFixture(QUOTES.emrV5), { at: AT_2026, collateral: oldChain })).toBe('certificate_expired');
    // The sample QE identity is from 2023: stale at 2026.
    const staleQe = { ...collateral, qeIdentity: tdxFixture('tdx-gotdxguest-qeidentity.json') };
    expect(await failure(lenient, tdxFixture(QUOTES.emrV5), { at: AT_2026, collateral: staleQe })).toBe('collateral_expired');
    const evidence = await lenient.verify(tdxFixture(QUOTES.emrV5), { at: AT_2026, collateral });
    expect(evidence.tcb).toMatchObject({ status: 'UpToDate', teeTcbSvn2: '0d010400000000000000000000000000', tdxModule: { id: 'TDX_01' } });
  });

  it('trustee quote 6 at 2025-10-28 with its TCB info and QE identity: OutOfDate (PCE SVN 11 < 13)', async () => {
    const collateral = {
      tcbInfo: tdxFixture('tdx-trustee-tcbinfo-00a06d080000.json'),
      qeIdentity: tdxFixture('tdx-trustee-qeidentity-2025.json'),
      tcbInfoIssuerChain: chain2025(),
    };
    const v = await lenient.verifyQuote(tdxFixture(QUOTES.trusteeQuote6), { at: AT_Q6, collateral });
    expect(v.tcb).toMatchObject({
      status: 'OutOfDate',
      platform: { status: 'OutOfDate', tcbDate: '2018-01-04T00:00:00Z' },
      tdxModule: { id: 'TDX_03', status: 'UpToDate' },
      qe: { status: 'UpToDate' },
      tcbEvaluationDataNumber: 17,
    });
  });

  it('Azure TD quote verifies (chain, QE, quote) and binds the expected report data', async () => {
    const quote = tdxFixture(QUOTES.azure);
    const reportData = Buffer.from(parseTdxQuote(quote).body.reportData, 'hex');
    const at = new Date('2024-01-01T00:00:00Z');
    expect((await lenient.verifyQuote(quote, { at, expectedReportData: reportData })).pck.fmspc).toBe('00806f050000');
    expect(await failure(lenient, quote, { at, expectedReportData: flip(reportData, 63) })).toBe('report_data_mismatch');
  });

  it('a tampered QE identity with a different QE signer fails closed', async () => {
    const pki = await createFakeIntelPki(pckLeafDer(tdxFixture(QUOTES.sprV4)), new Date('2020-01-01'), new Date('2040-01-01'));
    const verifier = new TdxVerifier({ requireCollateral: false, trustedRoots: [INTEL_SGX_ROOT_CA_PEM, pki.rootPem] });
    const identity = JSON.parse(Buffer.from(tdxFixture('tdx-gotdxguest-qeidentity.json')).toString()).enclaveIdentity;
    const collateral = { qeIdentity: await signCollateral(pki, 'enclaveIdentity', { ...identity, mrsigner: 'ab'.repeat(32) }), tcbInfoIssuerChain: Buffer.from(pki.tcbSigningChainPem) };
    expect(await failure(verifier, tdxFixture(QUOTES.sprV4), { at: AT_2023, collateral })).toBe('qe_identity_mismatch');
  });
});

describe('TdxVerifier mutation tests (each failure has its own reason code)', () => {
  const quote = tdxFixture(QUOTES.trusteeDebug);
  const options: VerifyOptions = { at: AT_2023, collateral: collateral2023() };
  const parsed = parseTdxQuote(quote);
  const offsetOf = (part: Uint8Array): number => part.byteOffset - quote.byteOffset;

  it('the unmodified vector verifies (control)', async () => {
    expect(await failure(strict, quote, options)).toBe('verified');
  });

  it('any flipped bit in the signed header/body → signature_invalid', async () => {
    // Bytes 0..7 are version / key type / TEE type, which the parser rejects before any signature is checked.
    for (let offset = 8; offset < parsed.signedRegion.length; offset += 7) {
      expect([offset, await failure(strict, flip(quote, offset, offset % 8), options)]).toEqual([offset, 'signature_invalid']);
    }
  });

  it('flipped bits in each signature', async () => {
    for (const bit of [0, 3, 7]) {
      expect(await failure(strict, flip(quote, offsetOf(parsed.signature) + 5 * bit, bit), options)).toBe('signature_invalid');
      expect(await failure(strict, flip(quote, offsetOf(parsed.signature) + 63, bit), options)).toBe('signature_invalid');
      expect(await failure(strict, flip(quote, offsetOf(parsed.qeReportSignature) + 9 * bit, bit), options)).toBe('qe_report_signature_invalid');
    }
  });

  it('flipped bits in the QE report, attestation key and QE auth data', async () => {
    for (const offset of [0, 100, 256, 258, 320, 383]) {
      expect(await failure(strict, flip(quote, offsetOf(parsed.qeReport.raw) + offset), options)).toBe('qe_report_signature_invalid');
    }
    expect(await failure(strict, flip(quote, offsetOf(parsed.attestationKey) + 10), options)).toBe('qe_report_data_mismatch');
    expect(await failure(strict, flip(quote, offsetOf(parsed.qeAuthData) + 31), options)).toBe('qe_report_data_mismatch');
  });

  it('a flipped bit in a certificate of the PCK chain → certificate_chain_invalid', async () => {
    const ders = certificatesFromPemOrDer(parsed.pckCertData);
    const rebuild = (index: number, offset: number): Uint8Array => {
      const changed = ders.map((d, i) => (i === index ? flip(d, offset) : d));
      const pem = changed.map((d) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(d).toString('base64')}\n-----END CERTIFICATE-----\n`).join('');
      return serializeTdxQuote({ ...parsed, qeReport: parsed.qeReport.raw, pckCertData: Buffer.from(pem) });
    };
    // Inside the signature value (last bytes) and inside the signed TBS (serial number area) of leaf and intermediate.
    expect(await failure(strict, rebuild(0, ders[0]!.length - 2), options)).toBe('certificate_chain_invalid');
    expect(await failure(strict, rebuild(0, 15), options)).toBe('certificate_chain_invalid');
    expect(await failure(strict, rebuild(1, ders[1]!.length - 2), options)).toBe('certificate_chain_invalid');
    expect(await failure(strict, rebuild(1, 15), options)).toBe('certificate_chain_invalid');
    // Unmodified rebuild still verifies, so the rebuild itself is not what fails.
    expect(await failure(strict, rebuild(0, -1), options)).toBe('verified');
  });

  it('truncated chain: without the PCK Platform CA → certificate_chain_incomplete; without only the root it anchors on the pinned root', async () => {
    const ders = certificatesFromPemOrDer(parsed.pckCertData);
    const withChain = (list: Uint8Array[]): Uint8Array => {
      const pem = list.map((d) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(d).toString('base64')}\n-----END CERTIFICATE-----\n`).join('');
      return serializeTdxQuote({ ...parsed, qeReport: parsed.qeReport.raw, pckCertData: Buffer.from(pem) });
    };
    expect(await failure(strict, withChain([ders[0]!]), options)).toBe('certificate_chain_incomplete');
    expect(await failure(strict, withChain([ders[0]!, ders[2]!]), options)).toBe('certificate_chain_incomplete');
    expect(await failure(strict, withChain([]), options)).toBe('certificate_chain_incomplete');
    expect(await failure(strict, withChain([ders[0]!, ders[1]!]), options)).toBe('verified');
  });

  it('the PCK chain must be in the order the quote carries it: reordered → certificate_chain_incomplete, certificates after the root → certificate_chain_invalid', async () => {
    const ders = certificatesFromPemOrDer(parsed.pckCertData);
    const withChain = (list: Uint8Array[]): Uint8Array => {
      const pem = list.map((d) => `-----BEGIN CERTIFICATE-----\n${Buffer.from(d).toString('base64')}\n-----END CERTIFICATE-----\n`).join('');
      return serializeTdxQuote({ ...parsed, qeReport: parsed.qeReport.raw, pckCertData: Buffer.from(pem) });
    };
    expect(ders).toHaveLength(3);
    expect(await failure(strict, withChain([ders[0]!, ders[2]!, ders[1]!]), options)).toBe('certificate_chain_incomplete');
    expect(await failure(strict, withChain([ders[0]!, ders[1]!, ders[2]!, ders[1]!]), options)).toBe('certificate_chain_invalid');
  });

  it('a CRL missing for one issuer of the chain when collateral is required → collateral_missing', async () => {
    const { rootCaCrl: _rootCaCrl, ...withoutRootCrl } = collateral2023();
    expect(await failure(strict, quote, { ...options, collateral: withoutRootCrl })).toBe('collateral_missing');
    const { pckCrl, rootCaCrl } = collateral2023();
    // Both CRLs handed over under each other's key: each is still applied to the link its issuer signed.
    expect(await failure(strict, quote, { ...options, collateral: { ...collateral2023(), pckCrl: rootCaCrl!, rootCaCrl: pckCrl! } })).toBe('verified');
  });

  it('flipped bits in the collateral', async () => {
    const c = collateral2023();
    const tcbInfo = Buffer.from(c.tcbInfo!);
    const inValue = tcbInfo.indexOf('"pcesvn":11') + 10; // "11" → "10" inside the signed tcbInfo value
    expect(await failure(strict, quote, { ...options, collateral: { ...c, tcbInfo: flip(tcbInfo, inValue) } })).toBe('collateral_signature_invalid');
    const sigAt = tcbInfo.indexOf('"signature":"') + 20;
    expect(await failure(strict, quote, { ...options, collateral: { ...c, tcbInfo: flip(tcbInfo, sigAt, 1) } })).toBe('collateral_signature_invalid');
    const qe = Buffer.from(c.qeIdentity!);
    expect(await failure(strict, quote, { ...options, collateral: { ...c, qeIdentity: flip(qe, qe.indexOf('"isvprodid":2') + 12) } })).toBe(
      'collateral_signature_invalid',
    );
    const crl = c.pckCrl!;
    expect(await failure(strict, quote, { ...options, collateral: { ...c, pckCrl: flip(crl, crl.length - 3) } })).toBe('crl_invalid');
    expect(await failure(strict, quote, { ...options, collateral: { ...c, rootCaCrl: flip(c.rootCaCrl!, c.rootCaCrl!.length - 3) } })).toBe('crl_invalid');
    expect(await failure(strict, quote, { ...options, collateral: { ...c, tcbInfo: Buffer.from('{"tcbInfo":') } })).toBe('collateral_invalid');
  });

  it('collateral and CRLs outside their validity window at `at`', async () => {
    // TCB info 2023-06-18 → 2023-07-18; QE identity 2023-06-08 → 2023-07-08; PCK CRL 2023-06-08 → 2023-07-08.
    expect(await failure(strict, quote, { ...options, at: new Date('2023-07-10T00:00:00Z') })).toBe('crl_expired');
    const noCrls = { tcbInfo: options.collateral!.tcbInfo!, qeIdentity: options.collateral!.qeIdentity!, tcbInfoIssuerChain: options.collateral!.tcbInfoIssuerChain! };
    expect(await failure(lenient, quote, { at: new Date('2023-07-10T00:00:00Z'), collateral: noCrls })).toBe('collateral_expired');
    expect(await failure(lenient, quote, { at: new Date('2023-06-10T00:00:00Z'), collateral: noCrls })).toBe('collateral_expired');
    expect(await failure(lenient, quote, { at: new Date('2023-06-20T00:00:00Z'), collateral: noCrls })).toBe('verified');
  });

  it('TCB info for another platform → collateral_mismatch', async () => {
    const collateral = { tcbInfo: tdxFixture('tdx-gotdxguest-tcbinfo-90c06f000000.json'), tcbInfoIssuerChain: chain2025() };
    expect(await failure(lenient, quote, { at: AT_2026, collateral })).toBe('collateral_mismatch');
  });

  it('missing collateral when it is required → collateral_missing', async () => {
    expect(await failure(strict, quote, { at: AT_2023 })).toBe('collateral_missing');
  });
});

describe('TdxVerifier with a self-made PKI (only one thing differs per case)', () => {
  const real = tdxFixture(QUOTES.sprV4);
  let pki: FakeIntelPki;
  let fakeQuote: Uint8Array;
  let tcbInfo: {
    tcbLevels: { tcb: { sgxtcbcomponents: { svn: number }[]; tdxtcbcomponents: { svn: number }[] }; tcbStatus: string; advisoryIDs?: string[] }[];
  } & Record<string, unknown>;

  beforeAll(async () => {
    pki = await createFakeIntelPki(pckLeafDer(real), new Date('2020-01-01'), new Date('2040-01-01'));
    fakeQuote = await requoteWithFakePck(real, pki);
    tcbInfo = JSON.parse(Buffer.from(tdxFixture('tdx-gotdxguest-tcbinfo-50806f000000.json')).toString()).tcbInfo;
  });

  it('a chain to a self-made root is rejected: certificate_untrusted_root (and accepted when that root is trusted)', async () => {
    expect(await failure(lenient, fakeQuote, { at: AT_2023 })).toBe('certificate_untrusted_root');
    const trusting = new TdxVerifier({ requireCollateral: false, trustedRoots: [pki.rootPem] });
    expect(await failure(trusting, fakeQuote, { at: AT_2023 })).toBe('verified');
  });

  it('a PCK certificate listed in its issuer CRL → certificate_revoked', async () => {
    const trusting = new TdxVerifier({ requireCollateral: false, trustedRoots: [pki.rootPem] });
    const from = new Date('2023-06-01T00:00:00Z');
    const to = new Date('2023-08-01T00:00:00Z');
    expect(await failure(trusting, fakeQuote, { at: AT_2023, collateral: { pckCrl: await pki.crl([pki.pckSerialHex], from, to) } })).toBe('certificate_revoked');
    expect(await failure(trusting, fakeQuote, { at: AT_2023, collateral: { pckCrl: await pki.crl(['01ab'], from, to) } })).toBe('verified');
  });

  it('a revoked TCB level → tcb_revoked; the same level UpToDate or OutOfDate is reported with advisories', async () => {
    const verifier = new TdxVerifier({ requireCollateral: false, trustedRoots: [INTEL_SGX_ROOT_CA_PEM, pki.rootPem] });
    const withStatus = async (tcbStatus: string, advisoryIDs?: string[]): Promise<Record<string, Uint8Array>> => {
      // As upstream does for this vector: zero the first level's SVNs so the quote reaches it, then set its status.
      const zero = (components: { svn: number }[]): { svn: number }[] => components.map(() => ({ svn: 0 }));
      const levels = tcbInfo.tcbLevels.map((l, i) =>
        i === 0
          ? { ...l, tcb: { ...l.tcb, sgxtcbcomponents: zero(l.tcb.sgxtcbcomponents), tdxtcbcomponents: zero(l.tcb.tdxtcbcomponents) }, tcbStatus, ...(advisoryIDs ? { advisoryIDs } : {}) }
          : l,
      );
      return {
        tcbInfo: await signCollateral(pki, 'tcbInfo', { ...tcbInfo, tcbLevels: levels }),
        tcbInfoIssuerChain: Buffer.from(pki.tcbSigningChainPem),
        qeIdentity: tdxFixture('tdx-gotdxguest-qeidentity.json'),
        qeIdentityIssuerChain: intelFixture('intel-tcb-signing-chain-2018-2025.pem'),
      };
    };
    expect(await failure(verifier, real, { at: AT_2023, collateral: await withStatus('Revoked') })).toBe('tcb_revoked');
    expect((await verifier.verifyQuote(real, { at: AT_2023, collateral: await withStatus('UpToDate') })).tcb?.status).toBe('UpToDate');
    const ood = await verifier.verifyQuote(real, { at: AT_2023, collateral: await withStatus('OutOfDate', ['INTEL-SA-00001']) });
    expect(ood.tcb).toMatchObject({ status: 'OutOfDate', advisoryIds: ['INTEL-SA-00001'] });
    const sw = await verifier.verifyQuote(real, { at: AT_2023, collateral: await withStatus('SWHardeningNeeded', ['INTEL-SA-00615']) });
    expect(sw.tcb).toMatchObject({ status: 'SWHardeningNeeded', advisoryIds: ['INTEL-SA-00615'] });
    const cfg = await verifier.verifyQuote(real, { at: AT_2023, collateral: await withStatus('ConfigurationNeeded') });
    expect(cfg.tcb?.status).toBe('ConfigurationNeeded');
  });

  it('a QE older than every QE identity level → tcb_revoked', async () => {
    const verifier = new TdxVerifier({ requireCollateral: false, trustedRoots: [INTEL_SGX_ROOT_CA_PEM, pki.rootPem] });
    const identity = JSON.parse(Buffer.from(tdxFixture('tdx-gotdxguest-qeidentity.json')).toString()).enclaveIdentity;
    const levels = [{ tcb: { isvsvn: 99 }, tcbDate: '2023-01-01T00:00:00Z', tcbStatus: 'UpToDate' }];
    const collateral = { qeIdentity: await signCollateral(pki, 'enclaveIdentity', { ...identity, tcbLevels: levels }), tcbInfoIssuerChain: Buffer.from(pki.tcbSigningChainPem) };
    expect(await failure(verifier, real, { at: AT_2023, collateral })).toBe('tcb_revoked');
  });

  it('collateral signed by a key that is not the TCB signing certificate is rejected', async () => {
    const verifier = new TdxVerifier({ requireCollateral: false, trustedRoots: [INTEL_SGX_ROOT_CA_PEM, pki.rootPem] });
    const collateral = {
      tcbInfo: await signCollateral(pki, 'tcbInfo', tcbInfo),
      tcbInfoIssuerChain: intelFixture('intel-tcb-signing-chain-2018-2025.pem'),
    };
    expect(await failure(verifier, real, { at: AT_2023, collateral })).toBe('collateral_signature_invalid');
  });
});

/**
 * The Tinfoil TDX+H100 capture comes from an AGPL repository, so it is not copied into this project. Point
 * CONFIDE_SHARED_TESTDATA at ../shared/testdata/attestation to run this check by hand.
 */
const shared = process.env.CONFIDE_SHARED_TESTDATA;
(shared ? describe : describe.skip)('Tinfoil TDX + H100 capture (by hand, AGPL source not shipped)', () => {
  const read = (name: string): Uint8Array => new Uint8Array(readFileSync(`${shared}/${name}`));
  it('verifies with its captured Intel PCS collateral: UpToDate, and REPORTDATA binds keys, nonce and GPU evidence', async () => {
    const quote = read('tdxh100-tinfoil-tdx-quote.bin');
    const collateral = {
      tcbInfo: read('tdxh100-tinfoil-pcs-tcbinfo-90c06f000000.json'),
      qeIdentity: read('tdxh100-tinfoil-pcs-qeidentity.json'),
      tcbInfoIssuerChain: read('intel-tcb-signing-chain-2025-2032.pem'),
      pckCrl: read('intel-pck-platform-crl-2026.der'),
      rootCaCrl: read('intel-sgx-root-crl-2026.der'),
    };
    const v = await strict.verifyQuote(quote, { at: new Date('2026-06-29T02:08:30Z'), collateral });
    expect(v.tcb?.status).toBe('UpToDate');
    expect(v.tdAttributes.debug).toBe(false);
    expect(v.pck.fmspc).toBe('90c06f000000');
    expect(v.quote.body.mrTd).toBe('7357a10d2e2724dffe68813e3cc4cfcde6814d749f2fb62e3953e54f6e0b50a219786afe2cd478f684b52c61837e1114');
    expect(v.quote.body.rtmrs[1]).toBe('46658ae5655794d3ea0130e2d425aa002f224c7a47c1eb1792f656d79f808aac6006ce84d71ee24d97c3eea42c867e51');
    const bundle = JSON.parse(Buffer.from(read('tdxh100-tinfoil-attestation.json')).toString()) as { report_data: Record<string, string> };
    const rd = bundle.report_data;
    const binding = createHash('sha256')
      .update(Buffer.concat([rd.tls_key_fp!, rd.hpke_key!, rd.nonce!, rd.gpu_evidence_hash!].map((h) => Buffer.from(h, 'hex'))))
      .digest('hex');
    expect(v.quote.body.reportData).toBe(binding + '00'.repeat(32));
  });
});
