import { existsSync, readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { fromHex, toHex } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { parseSpdmMeasurementReport } from './spdm-measurements.js';
import { NvidiaSpdmVerifier } from './spdm.verifier.js';

const FIXTURES = new URL('../../../../test/fixtures/attestation/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const at = new Date('2026-01-01T00:00:00Z');
const verifier = new NvidiaSpdmVerifier();

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof AttestationError) return error.code;
    throw error;
  }
}

const SAMPLE = {
  report: fixture('nvidia-h100-nvtrust-sample-report.bin'),
  chain: fixture('nvidia-h100-nvtrust-sample-certchain.pem'),
  nonce: '931d8dd0add203ac3d8b4fbde75e115278eefcdceac5b87671a748f32364dfcb',
};
const COCO = {
  report: fixture('nvidia-h100-coco-ci-report.bin'),
  chain: fixture('nvidia-h100-coco-ci-certchain.pem'),
  nonce: '87d8e24ab336adafe228d49e83d745f6dba4ae505372b6a5704820856b343fec',
};

describe('SPDM measurement report parsing', () => {
  it('nvtrust sample: every field and all 64 measurements match the upstream expected claims', () => {
    const r = parseSpdmMeasurementReport(SAMPLE.report);
    const expected = JSON.parse(
      readFileSync(new URL('nvidia-h100-nvtrust-sample-expected-claims.json', FIXTURES), 'utf8'),
    ) as { config: Record<string, unknown>; measurements: Record<string, string> };
    expect(r.nonce).toBe(SAMPLE.nonce);
    expect(r.responderNonce).toBe('b4b8a06aaaa35542839388e159d447a5d6f6194998fd86513e2d591ccf640985');
    expect(r.blocks).toHaveLength(64);
    expect(r.measurementRecordLength).toBe(3520);
    expect(r.trailingBytes).toBe(0);
    expect(SAMPLE.report).toHaveLength(4117);
    expect(Object.fromEntries(r.blocks.map((b) => [String(b.index), b.value]))).toEqual(expected.measurements);
    expect(r.opaque).toMatchObject({
      driverVersion: expected.config.driver_version,
      vbiosVersion: expected.config.vbios_version,
      fwid: expected.config.fwid,
      boardId: expected.config.board_id,
      chipSku: expected.config.chip_sku,
      chipSkuMod: expected.config.chip_sku_mod,
      project: expected.config.project,
      projectSku: expected.config.project_sku,
      projectSkuMod: expected.config.project_sku_mod,
      gpuInfo: expected.config.gpu_info,
      cprInfo: expected.config.cpr_info,
      nvdec0Status: expected.config.nvdec0_status,
      protectedPcieStatus: expected.config.protected_pcie_status,
    });
    const counts = expected.config.measurement_count as Record<string, number>;
    expect(r.opaque.measurementCount).toEqual(Array.from({ length: 64 }, (_, i) => counts[String(i + 1)]));
  });

  it('CoCo CI capture: one trailing byte is kept out of the signed data; extra TLVs 34 and 36 are kept raw', () => {
    const r = parseSpdmMeasurementReport(COCO.report);
    expect(COCO.report).toHaveLength(4130);
    expect(r.trailingBytes).toBe(1);
    expect(r.nonce).toBe(COCO.nonce);
    expect(r.opaque.driverVersion).toBe('580.95.05');
    expect(r.opaque.raw[34]).toBe('0100');
    expect(r.opaque.raw[36]).toBe('0000');
  });

  it('refuses truncated evidence and a non-SPDM request', () => {
    expect(() => parseSpdmMeasurementReport(SAMPLE.report.subarray(0, 4000))).toThrow(AttestationError);
    const wrong = SAMPLE.report.slice();
    wrong[1] = 0x81;
    expect(() => parseSpdmMeasurementReport(wrong)).toThrow(expect.objectContaining({ code: 'evidence_unsupported_version' }));
  });
});

describe('NvidiaSpdmVerifier on real evidence', () => {
  it.each([
    ['nvtrust sample', SAMPLE],
    ['CoCo CI', COCO],
  ])('%s verifies: chain to the pinned Device Identity CA, FWID, signature, nonce', async (_name, v) => {
    const result = await verifier.verifyReport(v.report, { at, certificates: [v.chain], expectedReportData: fromHex(v.nonce) });
    expect(result.chain).toEqual([
      'GH100 A01 GSP FMC LF',
      'GH100 A01 GSP BROM',
      'NVIDIA GH100 Provisioner ICA 1',
      'NVIDIA GH100 Identity',
      'NVIDIA Device Identity CA',
    ]);
    const claims = await verifier.verify(v.report, { at, certificates: [v.chain] });
    expect(claims).toMatchObject({ format: 'nvidia-spdm', teeType: 'nvidia-h100', reportData: v.nonce, simulated: false });
    expect(claims.measurement).toMatch(/^[0-9a-f]{96}$/);
  });

  it('CoCo CI: the 48-byte report data upstream uses is not the 32-byte nonce', async () => {
    const reportData48 = fromHex(`${COCO.nonce}e279b616efefc2aae21da80cf5581250`);
    expect(await codeOf(verifier.verify(COCO.report, { at, certificates: [COCO.chain], expectedReportData: reportData48 }))).toBe(
      'report_data_mismatch',
    );
  });
});

describe('NvidiaSpdmVerifier mutations (each with its own reason code)', () => {
  const options = { at, certificates: [SAMPLE.chain] };

  it('any flipped bit in the signed bytes → signature_invalid (or malformed where the structure breaks)', async () => {
    const parsed = parseSpdmMeasurementReport(SAMPLE.report);
    const codes = new Set<string>();
    // Nonce, measurement values, responder nonce, opaque FWID and strings: bytes whose change keeps the structure.
    for (const offset of [4, 35, 37 + 8 + 7, 37 + 8 + 100, SAMPLE.report.length - 96 - 10, parsed.signedBytes.length - 1]) {
      const m = SAMPLE.report.slice();
      m[offset]! ^= 0x01;
      codes.add(await codeOf(verifier.verify(m, options)));
    }
    expect([...codes]).toEqual(['signature_invalid']);
  });

  it('flipped bit in the signature → signature_invalid', async () => {
    const m = SAMPLE.report.slice();
    m[m.length - 20]! ^= 0x80;
    expect(await codeOf(verifier.verify(m, options))).toBe('signature_invalid');
  });

  it('flipped bit inside a certificate signature → certificate_chain_invalid', async () => {
    const pem = Buffer.from(SAMPLE.chain).toString('latin1');
    const blocks = [...pem.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)].map((m) =>
      Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64'),
    );
    const brom = blocks[1]!;
    brom[brom.length - 5]! ^= 0x01; // inside the signature BIT STRING
    expect(await codeOf(verifier.verify(SAMPLE.report, { at, certificates: blocks.map((b) => new Uint8Array(b)) }))).toBe(
      'certificate_chain_invalid',
    );
  });

  it('truncated chain (no intermediates) → certificate_chain_incomplete', async () => {
    const leafOnly = Buffer.from(SAMPLE.chain).toString('latin1').split('-----END CERTIFICATE-----')[0] + '-----END CERTIFICATE-----';
    expect(await codeOf(verifier.verify(SAMPLE.report, { at, certificates: [new TextEncoder().encode(leafOnly)] }))).toBe(
      'certificate_chain_incomplete',
    );
    expect(await codeOf(verifier.verify(SAMPLE.report, { at }))).toBe('certificate_chain_incomplete');
  });

  it('chain to a different root → certificate_untrusted_root', async () => {
    const otherRoot = new NvidiaSpdmVerifier({
      trustAnchorsPem: readFileSync(new URL('nvidia-rim-signing-root-ca.pem', FIXTURES), 'utf8'),
    });
    expect(await codeOf(otherRoot.verify(SAMPLE.report, options))).toBe('certificate_untrusted_root');
  });

  it('evidence signed by another GPU (chain of the CoCo GPU) → signature_invalid', async () => {
    expect(await codeOf(verifier.verify(SAMPLE.report, { at, certificates: [COCO.chain] }))).toBe('signature_invalid');
  });

  it('wrong nonce → report_data_mismatch', async () => {
    expect(await codeOf(verifier.verify(SAMPLE.report, { ...options, expectedReportData: new Uint8Array(32) }))).toBe(
      'report_data_mismatch',
    );
  });

  it('before the device certificates were issued → certificate_not_yet_valid', async () => {
    expect(await codeOf(verifier.verify(SAMPLE.report, { ...options, at: new Date('2019-01-01T00:00:00Z') }))).toBe(
      'certificate_not_yet_valid',
    );
  });

  it('measurement digest is SHA-384 over the values in index order', async () => {
    const v = await verifier.verifyReport(SAMPLE.report, options);
    const again = await verifier.verifyReport(SAMPLE.report, options);
    expect(v.measurementDigest).toBe(again.measurementDigest);
    expect(toHex(fromHex(v.measurementDigest))).toHaveLength(96);
  });
});

/** Hand check against the Tinfoil H100 capture (AGPL-origin, never copied here): runs only where the shared folder is mounted. */
const SHARED = '/work/shared/testdata/attestation/';
(existsSync(`${SHARED}nvidia-h100-tinfoil-spdm-evidence.bin`) ? describe : describe.skip)('Tinfoil H100 capture (shared folder only)', () => {
  it('verifies with the nonce shared with the TDX quote', async () => {
    const nonce = '080c405ce6789e1761445180029523df3ae49576043f7f0868413a38e5e9a84e';
    const v = await verifier.verifyReport(new Uint8Array(readFileSync(`${SHARED}nvidia-h100-tinfoil-spdm-evidence.bin`)), {
      at: new Date('2026-06-29T02:08:05Z'),
      certificates: [new Uint8Array(readFileSync(`${SHARED}nvidia-h100-tinfoil-certchain.pem`))],
      expectedReportData: fromHex(nonce),
    });
    expect(v.report.opaque).toMatchObject({ driverVersion: '595.71.05', vbiosVersion: '96.00.d9.00.02' });
    expect(v.report.signedBytes.length + 96).toBe(4129);
  });
});
