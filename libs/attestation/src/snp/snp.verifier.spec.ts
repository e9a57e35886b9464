import { readFileSync } from 'node:fs';

import { describe, expect, it } from '@jest/globals';

import { toHex, WebCryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { parseSnpReport } from './snp-report.js';
import { SnpVerifier } from './snp.verifier.js';

const FIXTURES = new URL('../../../../test/fixtures/attestation/', import.meta.url);
const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(name, FIXTURES)));
const at = new Date('2026-01-01T00:00:00Z');
const verifier = new SnpVerifier({ crypto: new WebCryptoProvider() });

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (error) {
    if (error instanceof AttestationError) return error.code;
    throw error;
  }
}

describe('SnpVerifier smoke', () => {
  it.each([
    ['snp-milan-gosevguest-report.bin', 'snp-milan-gosevguest-vcek.der'],
    ['snp-milan-virtee-report.bin', 'snp-milan-virtee-vcek.der'],
    ['snp-milan-trustee-report.bin', 'snp-milan-trustee-vcek.der'],
    ['snp-genoa-trustee-e2e-report.reconstructed.bin', 'snp-genoa-trustee-e2e-vcek.der'],
  ])('%s verifies', async (report, vcek) => {
    const v = await verifier.verifyReport(fixture(report), { at, certificates: [fixture(vcek)] });
    expect(v.chain).toHaveLength(3);
  });
  it('azure', async () => {
    const hcl = fixture('snp-azure-cvm-hcl-report.bin');
    const v = await verifier.verifyReport(hcl.subarray(0x20, 0x4c0), { at, certificates: [fixture('snp-azure-cvm-vcek-chain.pem')] });
    expect(v.product).toBe('Milan');
    expect(toHex(parseSnpReport(hcl.subarray(0x20, 0x4c0)).signedBytes).length).toBe(0x2a0 * 2);
    expect(await codeOf(Promise.resolve())).toBe('ok');
  });
});
