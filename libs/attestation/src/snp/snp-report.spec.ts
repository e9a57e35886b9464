import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { toHex } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { parseCertificate } from '../common/index.js';
import { parseAmdEndorsementKey } from './amd-key-extensions.js';
import { decodeTcbVersion, parseSnpReport, productFromCpuid } from './snp-report.js';

const FIXTURES = new URL('../../../../test/fixtures/attestation/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const zeros = (n: number): string => '00'.repeat(n);

describe('parseSnpReport on the real reports (values from SOURCES.md)', () => {
  it('go-sev-guest Milan report (v2, no ID block)', () => {
    const r = parseSnpReport(fixture('snp-milan-gosevguest-report.bin'));
    expect(r).toMatchObject({
      version: 2,
      guestSvn: 0,
      vmpl: 0,
      signatureAlgorithm: 1,
      reportData: `0102030405${zeros(59)}`,
      measurement: 'b07af9620f3b839b47996422ddec6058338951d984e312115131ea82705eaf5b6bdf8a9ece31a5a608eb0cf2e4872b01',
      hostData: zeros(32),
      idKeyDigest: zeros(48),
      authorKeyDigest: zeros(48),
      reportId: '8edc638e1857c555d21f6b11bda3c8b1b5a09dba4852b4c8ee7aa2f16f22cc0a',
      reportIdMa: 'ff'.repeat(32),
      chipId:
        '3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d',
      currentFirmware: { major: 1, minor: 49, build: 3 },
      committedFirmware: { major: 1, minor: 49, build: 3 },
    });
    expect(r.policy.raw).toBe('0x00000000000b0000');
    expect(r.policy).toMatchObject({ smtAllowed: true, migrateMa: false, debug: true, abiMajor: 0, abiMinor: 0 });
    expect(r.platformInfo).toMatchObject({ raw: '0x0000000000000001', smtEnabled: true, tsmeEnabled: false });
    expect(r.signerInfo).toEqual({ raw: 0, authorKeyEnabled: false, chipKeyMasked: false, signingKey: 'vcek' });
    for (const tcb of [r.currentTcb, r.reportedTcb, r.committedTcb, r.launchTcb]) {
      expect(tcb).toEqual({ raw: '0200000000000544', bootloader: 2, tee: 0, snp: 5, microcode: 68 });
    }
    expect(r.cpuid).toBeUndefined();
    expect(r.product).toBeUndefined();
  });

  it('virtee Milan report', () => {
    const r = parseSnpReport(fixture('snp-milan-virtee-report.bin'));
    expect(r).toMatchObject({
      version: 2,
      vmpl: 0,
      reportData:
        'd447b55d197491bfe15cf298f9de9986b7a7c4be2468b4f6e2d53b71d7c645810b0f2cdfca0040433be063fc1a8293f0f3f8dae7b79fecb3d1cd82bd6a93ebfd',
      measurement: '7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f',
      chipId:
        'd49554ec717f4e5b0fe6b143bcf0405bd7ae304727edf46603f2a76aef6a3abc15d7af38db757039029f0efacfd08e244324884738c72b082e2f87a44d541eb6',
      currentFirmware: { major: 1, minor: 52, build: 4 },
    });
    expect(r.policy.raw).toBe('0x0000000000030000');
    expect(r.policy.debug).toBe(false);
    expect(r.platformInfo.raw).toBe('0x0000000000000001');
    for (const tcb of [r.currentTcb, r.reportedTcb, r.committedTcb, r.launchTcb]) {
      expect(tcb).toEqual({ raw: '0300000000000873', bootloader: 3, tee: 0, snp: 8, microcode: 115 });
    }
  });

  it('trustee Milan report (ID block; CURRENT_TCB above REPORTED_TCB)', () => {
    const r = parseSnpReport(fixture('snp-milan-trustee-report.bin'));
    expect(r).toMatchObject({
      version: 2,
      guestSvn: 4,
      familyId: `01${zeros(15)}`,
      imageId: `02${zeros(15)}`,
      idKeyDigest: '0356215882a825279a85b300b0b742931d113bf7e32dde2e50ffde7ec743ca491ecdd7f336dc28a6e0b2bb57af7a44a3',
      authorKeyDigest: zeros(48),
      reportData: `ec6c52d7533cc2c4f45be7849cf112ab82b2009fe7bd43e71ed08c14400ad7e2${zeros(32)}`,
      measurement: 'a1f3930413247bb38cfc171579ea3c12d5fe4901f0c792f63fd75d98f1ef827c23500644e0e692e6be917f9050d3d38c',
      chipId:
        'c38427a30d4c7af9d96f7a15b97269825a64cb76a2352ffd5d18115d89ad473f8e8c0bcd9a5d9286612bad4aadfb4426205a3b9e4fea82301135a170e477524e',
    });
    expect(r.policy.raw).toBe('0x000000000003001f');
    expect(r.reportedTcb.raw).toBe('0300000000000873');
    expect(r.committedTcb.raw).toBe('0300000000000873');
    expect(r.launchTcb.raw).toBe('0300000000000873');
    expect(r.currentTcb).toMatchObject({ raw: '03000000000008ce', microcode: 206 });
  });

  it('trustee Genoa e2e report (v3 with CPUID), equal to its JSON evidence', () => {
    const r = parseSnpReport(fixture('snp-genoa-trustee-e2e-report.reconstructed.bin'));
    expect(r).toMatchObject({
      version: 3,
      cpuid: { family: 0x19, model: 0xa0, stepping: 0x02 },
      product: 'Genoa',
      reportData:
        '7e7320889600c7ac133aea7b896c51f41026002982292a7369559796999c1bf929eef3ff23c46e858f0b1982f9a92b17c51b578d958cde6b0c92978f150cf9b0',
      measurement: '6a6519d757e68c2e939c9dbbbc1828498e8de35d2766dd05f1a2cca5059d0cf4ae62a36d75c837974dd50b315506e73e',
      chipId:
        '371c55d6d15cb50f16dc31d39a24e300caaabff4431e841111429b73ec45ad67ea6e687ffae7bf84b54a5d0e6d79b3ef6ff0bd8b4cff94c2163af5c5de8718e8',
      currentFirmware: { major: 1, minor: 55, build: 40 },
    });
    expect(r.policy.raw).toBe('0x0000000000030000');
    expect(r.platformInfo.raw).toBe('0x0000000000000025');
    expect(r.signerInfo.raw).toBe(0);
    for (const tcb of [r.currentTcb, r.reportedTcb, r.committedTcb, r.launchTcb]) {
      expect(tcb).toMatchObject({ bootloader: 10, tee: 0, snp: 23, microcode: 25 });
    }
    const json = JSON.parse(readFileSync(new URL('snp-genoa-trustee-e2e-evidence.json', FIXTURES), 'utf8')) as {
      attestation_report: Record<string, unknown>;
      cert_chain: { cert_type: string; data: number[] }[];
    };
    const a = json.attestation_report;
    expect(toHex(Uint8Array.from(a.measurement as number[]))).toBe(r.measurement);
    expect(toHex(Uint8Array.from(a.report_data as number[]))).toBe(r.reportData);
    expect(toHex(Uint8Array.from(a.chip_id as number[]))).toBe(r.chipId);
    expect(a.policy).toBe(0x30000);
    expect(json.cert_chain[0]?.cert_type).toBe('VCEK');
    expect(toHex(Uint8Array.from(json.cert_chain[0]!.data))).toBe(toHex(fixture('snp-genoa-trustee-e2e-vcek.der')));
  });

  it('Azure CVM HCL report: the embedded SNP report, and REPORT_DATA[0:32] = SHA-256 of the HCL variable data', () => {
    const hcl = fixture('snp-azure-cvm-hcl-report.bin');
    expect(Buffer.from(hcl.subarray(0, 4)).toString('latin1')).toBe('HCLA');
    const r = parseSnpReport(hcl.subarray(0x20, 0x4c0));
    const view = new DataView(hcl.buffer, hcl.byteOffset + 0x4c0, 20);
    expect([0, 4, 8, 12, 16].map((o) => view.getUint32(o, true))).toEqual([1130, 1, 2, 1, 1110]);
    const varData = hcl.subarray(0x4d4, 0x4d4 + 1110);
    const digest = createHash('sha256').update(varData).digest('hex');
    expect(digest).toBe('b3fbad6514c83caeb0380882145e49f794229ef37c421b91fc47ff93556bafac');
    expect(r.reportData).toBe(`${digest}${zeros(32)}`);
    expect(r.policy.raw).toBe('0x000000000003001f');
    expect(r.measurement).toBe('9ac48fcac8a2d88aeeff8d427ad4f2be0e3917c748a18bdf52cc317e7fe20308b459d5ef1a12e0c22944eb386d17c315');
    expect(r.chipId).toBe(
      '19752a447db501a32ade46428a46e92639bd3515dbb45e2e67bbcb0934ffcf1f3e3c004ccb4a99c9fa7e4ffb09da6b324ac58acedaf679f24ba7db5f838c6cca',
    );
    expect(r.reportedTcb.raw).toBe('0300000000000873');
  });
});

describe('SNP structure rules', () => {
  const base = fixture('snp-milan-virtee-report.bin');
  const mutate = (offset: number, value: number): Uint8Array => {
    const m = base.slice();
    m[offset] = value;
    return m;
  };
  const codeOf = (bytes: Uint8Array): string => {
    try {
      parseSnpReport(bytes);
      return 'ok';
    } catch (error) {
      return (error as AttestationError).code;
    }
  };

  it('refuses wrong sizes, unknown versions and algorithms, reserved bits and fields', () => {
    expect(codeOf(base.subarray(0, 1183))).toBe('evidence_malformed');
    expect(codeOf(mutate(0x000, 1))).toBe('evidence_unsupported_version');
    expect(codeOf(mutate(0x000, 6))).toBe('evidence_unsupported_version');
    expect(codeOf(mutate(0x034, 2))).toBe('evidence_unsupported_version');
    expect(codeOf(mutate(0x00a, 0x01))).toBe('evidence_malformed'); // policy bit 17 cleared
    expect(codeOf(mutate(0x041, 0x01))).toBe('evidence_malformed'); // platform info bit 8
    expect(codeOf(mutate(0x048, 0x20))).toBe('evidence_malformed'); // signer info reserved bit
    expect(codeOf(mutate(0x04c, 1))).toBe('evidence_malformed');
    expect(codeOf(mutate(0x190, 1))).toBe('evidence_malformed');
    expect(codeOf(mutate(0x250, 1))).toBe('evidence_malformed');
    expect(codeOf(mutate(0x2a0 + 60, 1))).toBe('evidence_malformed'); // r wider than 48 bytes
    expect(codeOf(mutate(0x400, 1))).toBe('evidence_malformed');
  });

  it('decodes TCB per product: Milan/Genoa vs Turin byte order', () => {
    const bytes = Uint8Array.from([1, 2, 3, 4, 0, 0, 0, 9]);
    expect(decodeTcbVersion(bytes, 'Turin')).toMatchObject({ fmc: 1, bootloader: 2, tee: 3, snp: 4, microcode: 9 });
    expect(decodeTcbVersion(Uint8Array.from([3, 0, 0, 0, 0, 0, 8, 115]), 'Milan')).toMatchObject({
      bootloader: 3,
      tee: 0,
      snp: 8,
      microcode: 115,
    });
    expect(productFromCpuid(0x19, 0x01)).toBe('Milan');
    expect(productFromCpuid(0x19, 0x11)).toBe('Genoa');
    expect(productFromCpuid(0x19, 0xa0)).toBe('Genoa');
    expect(productFromCpuid(0x1a, 0x02)).toBe('Turin');
    expect(productFromCpuid(0x17, 0x31)).toBeUndefined();
  });
});

describe('VCEK extensions', () => {
  it('go-sev-guest Milan VCEK: product, SPLs and hwID', () => {
    const cert = parseCertificate(fixture('snp-milan-gosevguest-vcek.der'));
    expect(cert.serialHex).toBe('00');
    expect(cert.notBefore.toISOString()).toBe('2022-09-24T00:55:28.000Z');
    expect(cert.notAfter.toISOString()).toBe('2029-09-24T00:55:28.000Z');
    expect(cert.signatureAlgorithm).toEqual({ kind: 'rsa-pss', hash: 'SHA-384', saltLength: 48 });
    expect(parseAmdEndorsementKey(cert)).toEqual({
      kind: 'vcek',
      product: 'Milan',
      productName: 'Milan-B0',
      structVersion: 0,
      tcb: { bootloader: 2, tee: 0, snp: 5, microcode: 68 },
      hwId: '3ac3fe21e13fb0990eb28a802e3fb6a29483a6b0753590c951bdd3b8e53786184ca39e359669a2b76a1936776b564ea464cdce40c05f63c9b610c5068b006b5d',
    });
  });

  it('Genoa VCEK and the Turin VCEK (fmcSPL, 8-byte hwID)', () => {
    const genoa = parseCertificate(fixture('snp-genoa-trustee-e2e-vcek.der'));
    expect(parseAmdEndorsementKey(genoa)).toMatchObject({ product: 'Genoa', productName: 'Genoa', tcb: { bootloader: 10, snp: 23, microcode: 25 } });
    expect(genoa.notBefore.toISOString().slice(0, 10)).toBe('2025-05-27');
    const turin = parseCertificate(fixture('snp-turin-virtee-vcek.der'));
    expect(parseAmdEndorsementKey(turin)).toEqual({
      kind: 'vcek',
      product: 'Turin',
      productName: 'Turin',
      structVersion: 1,
      tcb: { bootloader: 0, tee: 0, snp: 0, microcode: 9, fmc: 0 },
      hwId: '1e550a8ee5cf9f4d',
    });
    expect(turin.notBefore.toISOString().slice(0, 10)).toBe('2024-11-06');
  });
});
