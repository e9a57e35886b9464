import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';

import { beforeAll, describe, expect, it } from '@jest/globals';

import { fromHex, WebCryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { SnpVerifier, SNP_COLLATERAL_KEYS } from './snp.verifier.js';
import { FakeAmdPki, signSnpReport } from './testing/fake-amd-pki.js';

const FIXTURES = new URL('../../../../test/fixtures/attestation/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const at = new Date('2026-01-01T00:00:00Z');
const verifier = new SnpVerifier({ crypto: new WebCryptoProvider() });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof AttestationError) return `${error.code}`;
    throw error;
  }
}

const REAL = [
  { name: 'go-sev-guest Milan', report: 'snp-milan-gosevguest-report.bin', vcek: 'snp-milan-gosevguest-vcek.der', product: 'Milan', at: new Date('2022-09-24T12:00:00Z') },
  { name: 'virtee Milan', report: 'snp-milan-virtee-report.bin', vcek: 'snp-milan-virtee-vcek.der', product: 'Milan', at },
  { name: 'trustee Milan', report: 'snp-milan-trustee-report.bin', vcek: 'snp-milan-trustee-vcek.der', product: 'Milan', at },
  { name: 'trustee Genoa e2e', report: 'snp-genoa-trustee-e2e-report.reconstructed.bin', vcek: 'snp-genoa-trustee-e2e-vcek.der', product: 'Genoa', at },
] as const;

describe('SnpVerifier on the real reports', () => {
  it.each(REAL)('$name: signature, VCEK → ASK → pinned ARK, TCB and hwID', async (v) => {
    const result = await verifier.verifyReport(fixture(v.report), { at: v.at, certificates: [fixture(v.vcek)] });
    expect(result.product).toBe(v.product);
    expect(result.chain).toEqual(['SEV-VCEK', `SEV-${v.product}`, `ARK-${v.product}`]);
    expect(result.endorsementKey.kind).toBe('vcek');
    expect(result.revocationChecked).toBe(false);
  });

  it('Azure CVM: the report inside the HCL report verifies with the VCEK chain from the PEM, bound to the var data', async () => {
    const hcl = fixture('snp-azure-cvm-hcl-report.bin');
    const varDigest = createHash('sha256').update(hcl.subarray(0x4d4, 0x4d4 + 1110)).digest();
    const expectedReportData = new Uint8Array(64);
    expectedReportData.set(varDigest);
    const claims = await verifier.verify(hcl.subarray(0x20, 0x4c0), {
      at,
      certificates: [fixture('snp-azure-cvm-vcek-chain.pem')],
      expectedReportData,
    });
    expect(claims).toMatchObject({ format: 'sev-snp', teeType: 'sev-snp', simulated: false, debug: false });
    expect(claims.details).toMatchObject({ product: 'Milan', vmpl: 0, signingKey: 'vcek' });
  });

  it('exposes the claims appraisal needs, without judging them', async () => {
    const claims = await verifier.verify(fixture('snp-milan-gosevguest-report.bin'), {
      at: new Date('2022-09-24T12:00:00Z'),
      certificates: [fixture('snp-milan-gosevguest-vcek.der')],
      expectedReportData: fromHex(`0102030405${'00'.repeat(59)}`),
    });
    expect(claims).toMatchObject({
      measurement: 'b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01',
      reportData: `0102030405${'00'.repeat(59)}`,
      debug: true, // policy 0xb0000 has DEBUG (bit 19) set: a policy must refuse it, the verifier only reports it
      tcb: { bootloader: 2, tee: 0, snp: 5, microcode: 68, product: 'Milan' },
      details: { vmpl: 0, policy: { smtAllowed: true, migrateMa: false, debug: true }, platformInfo: { smtEnabled: true } },
    });
  });

  it('trustee Milan: the VCEK is compared with REPORTED_TCB, not CURRENT_TCB', async () => {
    const result = await verifier.verifyReport(fixture('snp-milan-trustee-report.bin'), {
      at,
      certificates: [fixture('snp-milan-trustee-vcek.der')],
    });
    expect(result.report.currentTcb.microcode).toBe(206);
    expect(result.endorsementKey.tcb.microcode).toBe(115);
  });
});

describe('SnpVerifier mutations on real reports (each with its own reason code)', () => {
  const report = fixture('snp-milan-virtee-report.bin');
  const vcek = fixture('snp-milan-virtee-vcek.der');
  const run = (r: Uint8Array, extra: Partial<{ certificates: Uint8Array[]; at: Date; expectedReportData: Uint8Array }> = {}) =>
    codeOf(verifier.verify(r, { at, certificates: [vcek], ...extra }));

  it('upstream cases: virtee byte 21 ^ 0x80 and trustee byte 42 + 1 → signature_invalid', async () => {
    const a = report.slice();
    a[21]! ^= 0x80;
    expect(await run(a)).toBe('signature_invalid');
    const b = fixture('snp-milan-trustee-report.bin');
    b[42]! += 1;
    expect(await codeOf(verifier.verify(b, { at, certificates: [fixture('snp-milan-trustee-vcek.der')] }))).toBe('signature_invalid');
  });

  it('trustee byte 0x180 + 1 (REPORTED_TCB) → signature_invalid: the signature is checked before the TCB', async () => {
    const b = fixture('snp-milan-trustee-report.bin');
    b[0x180]! += 1;
    expect(await codeOf(verifier.verify(b, { at, certificates: [fixture('snp-milan-trustee-vcek.der')] }))).toBe('signature_invalid');
  });

  it('a flipped bit anywhere in the free-form signed fields → signature_invalid', async () => {
    const freeForm: [number, number][] = [
      [0x004, 4], [0x010, 0x20], [0x030, 4], [0x038, 8], [0x050, 0xf8], [0x180, 8], [0x1a0, 0x4b], [0x1ec, 3], [0x1f0, 8],
    ];
    const codes = new Set<string>();
    let tried = 0;
    for (const [start, length] of freeForm) {
      for (let offset = start; offset < start + length; offset += 5) {
        const m = report.slice();
        m[offset]! ^= 1 << (offset % 8);
        codes.add(await run(m));
        tried++;
      }
    }
    expect(tried).toBeGreaterThan(80);
    expect([...codes]).toEqual(['signature_invalid']);
  });

  it('a flipped bit in r or s → signature_invalid', async () => {
    for (const offset of [0x2a0, 0x2a0 + 47, 0x2e8, 0x2e8 + 30]) {
      const m = report.slice();
      m[offset]! ^= 0x01;
      expect(await run(m)).toBe('signature_invalid');
    }
  });

  it('a flipped bit in the VCEK (its key or its signature) → certificate_chain_invalid', async () => {
    const spkiAt = Buffer.from(vcek).indexOf(Buffer.from('2b81040022', 'hex')) + 12; // inside the P-384 point
    for (const offset of [spkiAt, vcek.length - 10]) {
      const bad = vcek.slice();
      bad[offset]! ^= 0x01;
      expect(await run(report, { certificates: [bad] })).toBe('certificate_chain_invalid');
    }
  });

  it('a supplied ASK that is not signed by the pinned ARK is passed over for the pinned one', async () => {
    const milanVlekChain = fixture('amd-ask_ark_milan_vlek.pem');
    expect(await run(report, { certificates: [vcek, milanVlekChain] })).toBe('ok');
  });

  it('no VCEK (truncated chain) → certificate_chain_incomplete', async () => {
    expect(await run(report, { certificates: [] })).toBe('certificate_chain_incomplete');
    expect(await run(report, { certificates: [fixture('amd-ask_ark_milan.pem')] })).toBe('certificate_chain_incomplete');
  });

  it('a VCEK of another chip → signature_invalid; of another product → certificate_extension_mismatch', async () => {
    expect(await run(report, { certificates: [fixture('snp-milan-gosevguest-vcek.der')] })).toBe('signature_invalid');
    const genoa = fixture('snp-genoa-trustee-e2e-report.reconstructed.bin');
    expect(await run(genoa, { certificates: [vcek] })).toBe('certificate_extension_mismatch');
  });

  it('outside the validity windows → certificate_expired / certificate_not_yet_valid', async () => {
    expect(await run(report, { at: new Date('2031-01-01T00:00:00Z') })).toBe('certificate_expired');
    expect(await run(report, { at: new Date('2023-01-01T00:00:00Z') })).toBe('certificate_not_yet_valid');
  });

  it('REPORT_DATA not the expected value → report_data_mismatch', async () => {
    expect(await run(report, { expectedReportData: new Uint8Array(64) })).toBe('report_data_mismatch');
  });
});

describe('SnpVerifier with a self-made AMD PKI (re-signed reports)', () => {
  let pki: FakeAmdPki;
  let trusting: SnpVerifier;
  const base = fixture('snp-milan-virtee-report.bin');
  const chipId = 'd49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6';
  const milanTcb = { bootloader: 3, tee: 0, snp: 8, microcode: 115 };

  beforeAll(async () => {
    pki = await FakeAmdPki.create();
    trusting = new SnpVerifier({ trustAnchors: pki.anchors() });
  });

  it('a consistent chain to a self-made root → certificate_untrusted_root under the pinned AMD roots', async () => {
    const key = await pki.issueEndorsementKey({ product: 'Milan', tcb: milanTcb, hwId: chipId });
    const signed = await signSnpReport(base, key.privateKey);
    const chain = new TextEncoder().encode(`${pki.intermediatePem('SEV-Milan')}\n${pki.ark.toString('pem')}`);
    expect(await codeOf(verifier.verify(signed, { at, certificates: [key.der, chain] }))).toBe('certificate_untrusted_root');
    expect(await codeOf(trusting.verify(signed, { at, certificates: [key.der] }))).toBe('ok');
  });

  it('REPORTED_TCB differing from the VCEK → certificate_extension_mismatch', async () => {
    const key = await pki.issueEndorsementKey({ product: 'Milan', tcb: { ...milanTcb, microcode: 116 }, hwId: chipId });
    const signed = await signSnpReport(base, key.privateKey);
    await expect(trusting.verify(signed, { at, certificates: [key.der] })).rejects.toMatchObject({
      code: 'certificate_extension_mismatch',
      target: 'reportedTcb',
    });
  });

  it('CHIP_ID differing from the VCEK hwID → certificate_extension_mismatch', async () => {
    const key = await pki.issueEndorsementKey({ product: 'Milan', tcb: milanTcb, hwId: 'ab'.repeat(64) });
    const signed = await signSnpReport(base, key.privateKey);
    await expect(trusting.verify(signed, { at, certificates: [key.der] })).rejects.toMatchObject({
      code: 'certificate_extension_mismatch',
      target: 'chipId',
    });
  });

  it('VLEK-signed report (SIGNING_KEY = 1) verifies through the ASVK and reports the CSP', async () => {
    const key = await pki.issueEndorsementKey({ product: 'Milan', kind: 'vlek', tcb: milanTcb });
    const m = base.slice();
    m[0x048] = 1 << 2;
    const signed = await signSnpReport(m, key.privateKey);
    const v = await trusting.verifyReport(signed, { at, certificates: [key.der] });
    expect(v.endorsementKey).toMatchObject({ kind: 'vlek', cspId: 'CN=test-csp' });
    expect(v.chain).toEqual(['SEV-VLEK', 'SEV-VLEK-Milan', 'ARK-Milan']);
    const vcek = await pki.issueEndorsementKey({ product: 'Milan', tcb: milanTcb, hwId: chipId });
    expect(await codeOf(trusting.verify(signed, { at, certificates: [vcek.der] }))).toBe('certificate_chain_incomplete');
  });

  it('Turin v3 report: TCB in Turin byte order with FMC, 8-byte hwID matched against CHIP_ID', async () => {
    const key = await pki.issueEndorsementKey({ product: 'Turin', tcb: { bootloader: 4, tee: 1, snp: 5, microcode: 9, fmc: 2 }, hwId: chipId.slice(0, 16) });
    const m = base.slice();
    m[0] = 3;
    m.set([0x1a, 0x11, 0x00], 0x188);
    m.set([2, 4, 1, 5, 0, 0, 0, 9], 0x180);
    const signed = await signSnpReport(m, key.privateKey);
    const v = await trusting.verify(signed, { at, certificates: [key.der] });
    expect(v.tcb).toEqual({ fmc: 2, bootloader: 4, tee: 1, snp: 5, microcode: 9, product: 'Turin' });
  });

  it('debug policy bit: verifies, and the claim says debug (appraisal refuses it)', async () => {
    const key = await pki.issueEndorsementKey({ product: 'Milan', tcb: milanTcb, hwId: chipId });
    const m = base.slice();
    m[0x00a]! |= 0x08; // policy bit 19
    const v = await trusting.verify(await signSnpReport(m, key.privateKey), { at, certificates: [key.der] });
    expect(v.debug).toBe(true);
  });

  it('chip key masked → signature_invalid', async () => {
    const key = await pki.issueEndorsementKey({ product: 'Milan', tcb: milanTcb, hwId: chipId });
    const m = base.slice();
    m[0x048] = 0x02;
    expect(await codeOf(trusting.verify(await signSnpReport(m, key.privateKey), { at, certificates: [key.der] }))).toBe(
      'signature_invalid',
    );
  });

  describe('CRL', () => {
    const thisUpdate = new Date('2025-12-01T00:00:00Z');
    const nextUpdate = new Date('2026-12-01T00:00:00Z');
    const verifyWith = async (crl: Uint8Array): Promise<string> => {
      const key = await pki.issueEndorsementKey({ product: 'Milan', tcb: milanTcb, hwId: chipId });
      const signed = await signSnpReport(base, key.privateKey);
      return codeOf(trusting.verify(signed, { at, certificates: [key.der], collateral: { [SNP_COLLATERAL_KEYS.crl]: crl } }));
    };

    it('a current CRL that does not list the ASK → ok, revocation checked', async () => {
      expect(await verifyWith(await pki.crl(['0badc0de'], thisUpdate, nextUpdate))).toBe('ok');
    });
    it('the ASK revoked → certificate_revoked', async () => {
      expect(await verifyWith(await pki.crl(['010001'], thisUpdate, nextUpdate))).toBe('certificate_revoked');
    });
    it('a CRL past its nextUpdate at `at` → crl_expired', async () => {
      expect(await verifyWith(await pki.crl([], new Date('2024-01-01T00:00:00Z'), new Date('2025-01-01T00:00:00Z')))).toBe('crl_expired');
    });
    it('a tampered CRL, or one from another CA → crl_invalid', async () => {
      const crl = await pki.crl(['0badc0de'], thisUpdate, nextUpdate);
      crl[crl.length - 3]! ^= 0x01;
      expect(await verifyWith(crl)).toBe('crl_invalid');
      const other = await FakeAmdPki.create();
      expect(await verifyWith(await other.crl([], thisUpdate, nextUpdate))).toBe('crl_invalid');
    });
  });
});

/**
 * Hand check against the Tinfoil Genoa capture (AGPL-origin, never copied here): runs only where the shared folder
 * is mounted.
 */
const SHARED = '/work/shared/testdata/attestation/';
(existsSync(`${SHARED}snp-genoa-tinfoil-report.bin`) ? describe : describe.skip)('Tinfoil Genoa capture (shared folder only)', () => {
  it('verifies and binds SHA-256(tls_key_fp ‖ hpke_key ‖ nonce) in REPORT_DATA', async () => {
    const body = JSON.parse(readFileSync(`${SHARED}snp-genoa-tinfoil-attestation.json`, 'utf8')) as {
      report_data: { tls_key_fp: string; hpke_key: string; nonce: string };
    };
    const rd = body.report_data;
    const digest = createHash('sha256').update(Buffer.from(rd.tls_key_fp + rd.hpke_key + rd.nonce, 'hex')).digest();
    const expected = new Uint8Array(64);
    expected.set(digest);
    const claims = await verifier.verify(new Uint8Array(readFileSync(`${SHARED}snp-genoa-tinfoil-report.bin`)), {
      at: new Date('2026-06-29T02:12:49Z'), // capture time
      certificates: [new Uint8Array(readFileSync(`${SHARED}snp-genoa-tinfoil-vcek.der`))],
      expectedReportData: expected,
    });
    expect(claims.tcb).toMatchObject({ bootloader: 10, tee: 0, snp: 23, microcode: 84, product: 'Genoa' });
    expect(claims.debug).toBe(false);
  });
});
