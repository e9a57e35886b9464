import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { AttestationError } from '../attestation.error.js';
import { NvidiaSpdmVerifier } from '../nvidia/spdm.verifier.js';
import { SnpVerifier } from '../snp/snp.verifier.js';
import { TdxVerifier } from '../tdx/tdx.verifier.js';
import { DevAwareVerifier } from '../composite/dev-aware.verifier.js';
import { loadSimulatedTrustAnchors } from './development-pki.js';
import { SimulatedAttester } from './simulated-attester.js';
import { SIMULATED_MEASUREMENTS } from './simulated-measurements.js';

const at = new Date();
const reportData = new Uint8Array(64).fill(7);
const nonce = new Uint8Array(32).fill(9);

async function code(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    if (e instanceof AttestationError) return e.code;
    throw e;
  }
}

describe('SimulatedAttester', () => {
  let dir: string;
  let attester: SimulatedAttester;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confide-devpki-'));
    attester = await SimulatedAttester.loadOrCreate(dir);
  }, 30_000);

  it('persists the development PKI with private keys readable by the owner only, and reloads the same anchors', async () => {
    expect((await stat(join(dir, 'development-pki.json'))).mode & 0o777).toBe(0o600);
    const again = await SimulatedAttester.loadOrCreate(dir);
    expect(again.anchors).toEqual(attester.anchors);
    expect(await loadSimulatedTrustAnchors(dir)).toEqual(attester.anchors);
    expect(await readFile(join(dir, 'development-anchors.json'), 'utf8')).not.toMatch(/PRIVATE|pkcs8/);
  });

  it('SNP report in the real format verifies with the dev ARK as anchor, with the chosen claims', async () => {
    const { report, vcek } = await attester.snpReport({ reportData, debug: true, tcb: { bootloader: 3, tee: 0, snp: 8, microcode: 115 } });
    const verifier = new SnpVerifier({ trustAnchors: attester.anchors.amd });
    const v = await verifier.verify(report, { at, certificates: [vcek] });
    expect(v.measurement).toBe(SIMULATED_MEASUREMENTS.snp);
    expect(v.reportData).toBe(Buffer.from(reportData).toString('hex'));
    expect(v.debug).toBe(true);
    expect(v.tcb).toMatchObject({ bootloader: 3, snp: 8, microcode: 115, product: 'Genoa' });
    // Production anchors refuse it.
    expect(await code(new SnpVerifier().verify(report, { at, certificates: [vcek] }))).toMatch(/certificate_/);
  });

  it('TDX quotes v4 and v5 verify against the dev Intel root', async () => {
    const verifier = new TdxVerifier({ trustedRoots: [attester.anchors.intelRootPem], requireCollateral: false });
    for (const version of [4, 5] as const) {
      const quote = await attester.tdxQuote({ reportData, version });
      const v = await verifier.verify(quote, { at });
      expect(v.measurement).toBe(SIMULATED_MEASUREMENTS.tdx.mrTd);
      expect(v.reportData).toBe(Buffer.from(reportData).toString('hex'));
      expect(v.details).toMatchObject({ quoteVersion: version, rtmr0: SIMULATED_MEASUREMENTS.tdx.rtmrs[0] });
      expect(v.debug).toBe(false);
    }
    expect(await code(new TdxVerifier({ requireCollateral: false }).verify(await attester.tdxQuote({ reportData }), { at }))).toBe(
      'certificate_untrusted_root',
    );
  });

  it('H100 SPDM report verifies against the dev device identity CA, nonce and FWID included', async () => {
    const g = await attester.gpuReport({ nonce, ccMode: 'off' });
    const verifier = new NvidiaSpdmVerifier({ trustAnchorsPem: attester.anchors.nvidiaRootPem });
    const v = await verifier.verify(g.report, { at, certificates: [new TextEncoder().encode(g.certificateChainPem)] });
    expect(v.reportData).toBe(Buffer.from(nonce).toString('hex'));
    expect(v.details.measurements).toEqual(SIMULATED_MEASUREMENTS.h100.off);
    expect(v.tcb).toEqual({ driverVersion: '550.127.05', vbiosVersion: '96.00.9f.00.01' });
  });

  it('is accepted only with allowSimulated, and then marked simulated', async () => {
    const { report, vcek } = await attester.snpReport({ reportData });
    const verifier = new DevAwareVerifier(new SnpVerifier(), new SnpVerifier({ trustAnchors: attester.anchors.amd }));
    expect(await code(verifier.verify(report, { at, certificates: [vcek] }))).toBe('simulated_not_allowed');
    const v = await verifier.verify(report, { at, certificates: [vcek], allowSimulated: true });
    expect(v.simulated).toBe(true);
    // A tampered simulated report is refused with the precise reason (it does chain to the dev PKI).
    const bad = report.slice();
    bad[0x90]! ^= 1;
    expect(await code(verifier.verify(bad, { at, certificates: [vcek], allowSimulated: true }))).toBe('signature_invalid');
    expect(await code(verifier.verify(bad, { at, certificates: [vcek] }))).toBe('signature_invalid');
  });
});
