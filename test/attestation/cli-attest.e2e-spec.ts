import { spawn } from 'node:child_process';
import { webcrypto } from 'node:crypto';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { compositeEvidenceToJson, SimulatedAttester } from '@confide/attestation';

/** `confide attest verify` runs offline: no server, only files. Fixtures are the real vectors in test/fixtures. */
const BIN = join(process.cwd(), 'bin/confide.mjs');
const NODE = join(process.cwd(), 'node_modules/.bin/node');
const FIX = join(process.cwd(), 'test/fixtures/attestation');
const POLICIES = join(process.cwd(), 'attestation/policies');

interface Out {
  verified: boolean;
  format: string;
  simulated: boolean;
  status: string;
  claims: { measurement: string; reportData: string; debug: boolean; tcb: Record<string, unknown> } | null;
  reasons: { code: string }[];
}

function cli(...args: string[]): Promise<{ code: number; out: Out | undefined; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(NODE, [BIN, 'attest', 'verify', ...args], { env: { ...process.env, NODE_OPTIONS: '' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => resolve({ code: code ?? -1, out: stdout.trim() ? (JSON.parse(stdout) as Out) : undefined, stderr }));
  });
}

describe('confide attest verify (offline CLI)', () => {
  let dir: string;
  let attester: SimulatedAttester;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'confide-cli-attest-'));
    attester = await SimulatedAttester.loadOrCreate(join(dir, 'dev-pki'));
  }, 30_000);

  it('verifies a real Milan SNP report with its VCEK; a flipped bit is refused with exit 1', async () => {
    const args = ['--certs', join(FIX, 'snp-milan-virtee-vcek.der'), '--at', '2026-01-01T00:00:00Z', '--json'];
    const ok = await cli(join(FIX, 'snp-milan-virtee-report.bin'), ...args);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatchObject({ verified: true, format: 'snp', simulated: false, status: 'verified', reasons: [] });
    expect(ok.out!.claims!.measurement).toBe('7a1e5c266c0108dbc9bb94fa926951320940915d0aafb42464bd88b579ea158d3e1a0dc39b2c60bd95b9c480cd81841f');
    expect(ok.out!.claims!.tcb).toMatchObject({ bootloader: 3, snp: 8, microcode: 115, product: 'Milan' });

    const { readFile } = await import('node:fs/promises');
    const bad = new Uint8Array(await readFile(join(FIX, 'snp-milan-virtee-report.bin')));
    bad[0x90]! ^= 0x01;
    await writeFile(join(dir, 'bad.bin'), bad);
    const no = await cli(join(dir, 'bad.bin'), ...args);
    expect([no.code, no.out?.verified, no.out?.reasons[0]?.code]).toEqual([1, false, 'signature_invalid']);
  }, 30_000);

  it('appraises a lone SNP report against the sev-snp-h100 policy: measurement allowed, but no GPU → exit 1', async () => {
    const r = await cli(join(FIX, 'snp-milan-virtee-report.bin'), '--certs', join(FIX, 'snp-milan-virtee-vcek.der'), '--at', '2026-01-01T00:00:00Z', '--policy', join(POLICIES, 'sev-snp-h100.json'), '--json');
    expect(r.code).toBe(1);
    expect(r.out).toMatchObject({ verified: true, status: 'contraindicated' });
    expect(r.out!.reasons.map((x) => x.code)).toEqual(['policy_gpu_missing']);
  }, 30_000);

  it('verifies a real TDX v4 quote (debug TD) with Intel collateral at a point in time; appraisal denies the debug TD', async () => {
    const c = (f: string): string => join(FIX, f);
    const collateral = [
      '--collateral',
      c('tdx/tdx-gotdxguest-tcbinfo-50806f000000.json'),
      c('tdx/tdx-gotdxguest-qeidentity.json'),
      `tcbInfoIssuerChain=${c('intel/intel-tcb-signing-chain-2018-2025.pem')}`,
      `pckCrl=${c('intel/intel-pck-platform-crl-2023.der')}`,
      `rootCaCrl=${c('intel/intel-sgx-root-crl-2023.der')}`,
      '--at',
      '2023-07-01T00:00:00Z',
      '--json',
    ];
    const r = await cli(c('tdx/tdx-v4-trustee-quote4-debugtd.bin'), ...collateral);
    expect(r.code).toBe(0);
    expect(r.out).toMatchObject({ verified: true, format: 'tdx', simulated: false, status: 'verified' });
    expect(r.out!.claims).toMatchObject({ debug: true, measurement: '705ee9381b8633a9fbe532b52345e8433343d2868959f57889d84ca377c395b689cac1599ccea1b7d420483a9ce5f031' });
    expect(r.out!.claims!.tcb).toMatchObject({ status: 'UpToDate', fmspc: '50806f000000' });

    const appraised = await cli(c('tdx/tdx-v4-trustee-quote4-debugtd.bin'), ...collateral, '--policy', join(POLICIES, 'tdx-h100.json'));
    expect(appraised.code).toBe(1);
    expect(appraised.out!.reasons.map((x) => x.code).sort()).toEqual(['policy_debug_enabled', 'policy_gpu_missing', 'policy_measurement_not_allowed']);

    // The go-tdx-guest SPR quote's TCB reaches no level of that TCB info (as upstream): not verified.
    const spr = await cli(c('tdx/tdx-v4-spr-gotdxguest-quote.bin'), ...collateral);
    expect([spr.code, spr.out?.reasons[0]?.code]).toEqual([1, 'tcb_level_not_found']);
  }, 30_000);

  it('verifies the real nvtrust H100 SPDM sample with its chain and nonce; a wrong nonce fails', async () => {
    const args = ['--certs', join(FIX, 'nvidia-h100-nvtrust-sample-certchain.pem'), '--at', '2026-01-01T00:00:00Z', '--json'];
    const ok = await cli(join(FIX, 'nvidia-h100-nvtrust-sample-report.bin'), ...args);
    expect([ok.code, ok.out?.format, ok.out?.verified]).toEqual([0, 'spdm', true]);
    const nonce = ok.out!.claims!.reportData;
    expect((await cli(join(FIX, 'nvidia-h100-nvtrust-sample-report.bin'), ...args, '--nonce', nonce)).code).toBe(0);
    const wrong = await cli(join(FIX, 'nvidia-h100-nvtrust-sample-report.bin'), ...args, '--nonce', 'ff'.repeat(32));
    expect([wrong.code, wrong.out?.reasons[0]?.code]).toEqual([1, 'report_data_mismatch']);
  }, 30_000);

  it('verifies the real AWS Nitro attestation document (detected as COSE_Sign1) at its time, and appraises it', async () => {
    const doc = join(FIX, 'nitro-blocky-attestation-doc.cbor');
    const at = ['--at', '2024-09-07T14:37:39.545Z', '--json'];
    const ok = await cli(doc, ...at);
    expect(ok.code).toBe(0);
    expect(ok.out).toMatchObject({ verified: true, format: 'nitro', simulated: false, status: 'verified', reasons: [] });
    expect(ok.out!.claims).toMatchObject({
      teeType: 'aws-nitro',
      debug: false,
      measurement: 'e72a46ca80a260fb044a125442f0c7e331813bcbaf9724d9f3857758992766f2d65710a27aa94ae3949dd54e7c9fe86a',
      reportData: '01'.repeat(1024),
      details: { moduleId: 'i-0a22e5c5f24d22174-enc0191cceb4289903f', timestamp: 1725719859545, signedAt: '2024-09-07T14:37:39.545Z' },
    });
    const affirmed = await cli(doc, ...at, '--policy', join(POLICIES, 'aws-nitro.json'));
    expect([affirmed.code, affirmed.out?.status]).toEqual([0, 'affirming']);
    expect((await cli(doc, ...at, '--nonce', '01'.repeat(1024))).code).toBe(0);
    const wrongNonce = await cli(doc, ...at, '--nonce', '02'.repeat(32));
    expect([wrongNonce.code, wrongNonce.out?.reasons[0]?.code]).toEqual([1, 'nonce_mismatch']);
    // Today the enclave certificate (three-hour lifetime) has long expired.
    const now = await cli(doc, '--json');
    expect([now.code, now.out?.verified, now.out?.reasons[0]?.code]).toEqual([1, false, 'certificate_expired']);
  }, 30_000);

  it('the Nitro debug document verifies as debug, and a policy forbidding debug refuses it with exit 1', async () => {
    const doc = join(FIX, 'nitro-blocky-attestation-doc-debug.cbor');
    const at = ['--at', '2024-09-07T14:38:06.508Z', '--json'];
    const verified = await cli(doc, ...at);
    expect([verified.code, verified.out?.claims?.debug]).toEqual([0, true]);
    const refused = await cli(doc, ...at, '--policy', join(POLICIES, 'aws-nitro.json'));
    expect(refused.code).toBe(1);
    expect(refused.out).toMatchObject({ verified: true, format: 'nitro', status: 'contraindicated' });
    expect(refused.out!.reasons.map((r) => r.code)).toContain('policy_debug_enabled');
  }, 30_000);

  it('simulated SNP report: refused without --allow-simulated, accepted and marked simulated with it', async () => {
    const { report, vcek } = await attester.snpReport({ reportData: new Uint8Array(64).fill(1) });
    await writeFile(join(dir, 'sim.bin'), report);
    await writeFile(join(dir, 'sim-vcek.der'), vcek);
    const base = [join(dir, 'sim.bin'), '--certs', join(dir, 'sim-vcek.der'), '--simulated-anchors', join(dir, 'dev-pki'), '--json'];
    const refused = await cli(...base);
    expect([refused.code, refused.out?.reasons[0]?.code]).toEqual([1, 'simulated_not_allowed']);
    const accepted = await cli(...base, '--allow-simulated');
    expect(accepted.code).toBe(0);
    expect(accepted.out).toMatchObject({ verified: true, simulated: true, format: 'snp' });
    // Without the dev anchors the production roots simply do not reach it.
    const unknown = await cli(join(dir, 'sim.bin'), '--certs', join(dir, 'sim-vcek.der'), '--allow-simulated', '--json');
    expect(unknown.code).toBe(1);
  }, 30_000);

  it('simulated composite bundle (SNP + H100) affirms under dev-simulated, and not under another nonce', async () => {
    const pair = (await webcrypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-384' }, true, ['deriveBits'])) as CryptoKeyPair;
    const { x, y } = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
    const nonce = new Uint8Array(32).fill(0x42);
    const bundle = await attester.compositeEvidence({ nonce, teePublicJwk: { kty: 'EC', crv: 'P-384', x: x!, y: y! } });
    await writeFile(join(dir, 'bundle.json'), JSON.stringify(compositeEvidenceToJson(bundle)));
    const base = [join(dir, 'bundle.json'), '--simulated-anchors', join(dir, 'dev-pki'), '--allow-simulated', '--policy', join(POLICIES, 'dev-simulated.json'), '--json'];
    const ok = await cli(...base, '--nonce', Buffer.from(nonce).toString('hex'));
    expect(ok.code).toBe(0);
    expect(ok.out).toMatchObject({ verified: true, simulated: true, format: 'composite', status: 'affirming', reasons: [] });
    const replay = await cli(...base, '--nonce', '43'.repeat(32));
    expect([replay.code, replay.out?.reasons[0]?.code]).toEqual([1, 'nonce_mismatch']);
  }, 30_000);

  it('exits 2 on unreadable input or bad usage', async () => {
    expect((await cli(join(dir, 'missing.bin'), '--json')).code).toBe(2);
    expect((await cli(join(FIX, 'snp-milan-virtee-report.bin'), '--at', 'yesterday', '--json')).code).toBe(2);
    await writeFile(join(dir, 'junk.bin'), 'not evidence at all');
    expect((await cli(join(dir, 'junk.bin'), '--json')).code).toBe(2);
    expect((await cli(join(FIX, 'snp-milan-virtee-report.bin'), '--policy', join(dir, 'missing.json'))).code).toBe(2);
  }, 30_000);
});
