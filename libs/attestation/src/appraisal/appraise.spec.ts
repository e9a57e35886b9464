import { webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { AttestationError } from '../attestation.error.js';
import type { CompositeVerification, TeePublicJwk } from '../composite/composite-evidence.js';
import { CompositeVerifier } from '../composite/composite.verifier.js';
import { NitroVerifier } from '../nitro/nitro.verifier.js';
import { SimulatedAttester } from '../simulated/simulated-attester.js';
import { SIMULATED_MEASUREMENTS } from '../simulated/simulated-measurements.js';
import type { SimulatedCompositeOptions } from '../simulated/simulated-attester.types.js';
import type { VerifiedEvidence } from '../verifier.js';
import { appraise, verificationFailureResult } from './appraise.js';
import { canonicalSha256, type AttestationPolicy, type LoadedPolicy } from './attestation-policy.js';
import { loadPolicy, loadPolicyById, parsePolicy } from './policy-loader.js';

const ATTESTATION_DIR = fileURLToPath(new URL('../../../../attestation/', import.meta.url));
const at = new Date();
const nonce = new Uint8Array(32).fill(3);

function errorOf(f: () => unknown): AttestationError {
  try {
    f();
  } catch (e) {
    if (e instanceof AttestationError) return e;
    throw e;
  }
  throw new Error('expected an AttestationError');
}

describe('appraise', () => {
  let attester: SimulatedAttester;
  let verifier: CompositeVerifier;
  let jwk: TeePublicJwk;
  let dev: LoadedPolicy;
  const make = async (o: Partial<SimulatedCompositeOptions> = {}): Promise<CompositeVerification> =>
    verifier.verify(await attester.compositeEvidence({ nonce, teePublicJwk: jwk, ...o }), { nonce, at, allowSimulated: true });
  const codes = (v: CompositeVerification, p: LoadedPolicy = dev): string[] => appraise(v, p).reasons.map((r) => r.code);
  /** dev-simulated with one change, re-pinned (the hash must move with it). */
  const variant = (change: (p: AttestationPolicy) => AttestationPolicy): LoadedPolicy => loadPolicy(change(dev.policy), dev.referenceValues);

  beforeAll(async () => {
    attester = await SimulatedAttester.loadOrCreate(await mkdtemp(join(tmpdir(), 'confide-appraise-')));
    verifier = new CompositeVerifier({ simulatedAnchors: attester.anchors });
    const pair = (await webcrypto.subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, true, ['deriveBits'])) as CryptoKeyPair;
    const { x, y } = await webcrypto.subtle.exportKey('jwk', pair.publicKey);
    jwk = { kty: 'EC', crv: 'P-256', x: x!, y: y! };
    dev = await loadPolicyById(ATTESTATION_DIR, 'dev-simulated');
  }, 30_000);

  it('the shipped policies load, pin their reference values and hash to canonical JSON', async () => {
    for (const id of ['dev-simulated', 'sev-snp-h100', 'tdx-h100', 'aws-nitro']) {
      const p = await loadPolicyById(ATTESTATION_DIR, id);
      expect(p.policyHash).toBe(canonicalSha256(JSON.parse(await readFile(join(ATTESTATION_DIR, 'policies', `${id}.json`), 'utf8'))));
    }
    expect(dev.referenceValues.sevSnp[0]!.measurement).toBe(SIMULATED_MEASUREMENTS.snp);
    expect(dev.referenceValues.tdx[0]!.mrTd).toBe(SIMULATED_MEASUREMENTS.tdx.mrTd);
    expect(dev.referenceValues.nvidiaH100.find((r) => r.ccMode === 'on')!.measurements).toEqual(
      Object.fromEntries(Object.entries(SIMULATED_MEASUREMENTS.h100.on).map(([k, v]) => [k, v])),
    );
  });

  it('affirms a simulated SNP + H100 (and TDX + H100) under dev-simulated, with the EAR trust vector', async () => {
    const r = appraise(await make(), dev);
    expect(r.reasons).toEqual([]);
    expect(r.status).toBe('affirming');
    expect(r.simulated).toBe(true);
    expect(r.trustVector).toEqual({
      'instance-identity': 2,
      configuration: 2,
      executables: 2,
      'file-system': 0,
      hardware: 2,
      'runtime-opaque': 2,
      'storage-opaque': 0,
      'sourced-data': 2,
    });
    expect(r.policy).toEqual({ id: 'dev-simulated', version: 1, hash: dev.policyHash });
    expect(r.claims.gpus[0]!.ccMode).toBe('on');
    expect(appraise(await make({ cpu: 'tdx' }), dev).status).toBe('affirming');
  });

  it('each rule denies with its own reason code and names its policy field', async () => {
    const cases: [string, Promise<string[]> | string[], string][] = [
      ['debug', make({ snp: { debug: true } }).then((v) => codes(v)), 'policy_debug_enabled'],
      ['measurement', make({ snp: { measurement: 'ab'.repeat(48) } }).then((v) => codes(v)), 'policy_measurement_not_allowed'],
      ['tcb', make({ snp: { tcb: { bootloader: 9, tee: 0, snp: 22, microcode: 72 } } }).then((v) => codes(v)), 'policy_tcb_below_minimum'],
      ['migration agent', make({ snp: { migrateMa: true } }).then((v) => codes(v)), 'policy_migration_agent_not_allowed'],
      ['vmpl', make({ snp: { vmpl: 2 } }).then((v) => codes(v)), 'policy_vmpl_not_allowed'],
      ['guest svn', make({ snp: { guestSvn: 0 } }).then((v) => codes(v)), 'policy_guest_svn_below_minimum'],
      ['gpu missing', make({ gpus: 0 }).then((v) => codes(v)), 'policy_gpu_missing'],
      ['gpu cc off', make({ gpu: { ccMode: 'off' } }).then((v) => codes(v)), 'policy_gpu_cc_disabled'],
      ['gpu unknown', make({ gpu: { measurements: { 1: 'cd'.repeat(48) } } }).then((v) => codes(v)), 'policy_gpu_measurement_not_allowed'],
      ['tdx debug', make({ cpu: 'tdx', tdx: { debug: true } }).then((v) => codes(v)), 'policy_debug_enabled'],
      ['mrtd', make({ cpu: 'tdx', tdx: { mrTd: 'ef'.repeat(48) } }).then((v) => codes(v)), 'policy_measurement_not_allowed'],
      [
        'rtmr',
        make({ cpu: 'tdx', tdx: { rtmrs: [SIMULATED_MEASUREMENTS.tdx.rtmrs[0], '11'.repeat(48), SIMULATED_MEASUREMENTS.tdx.rtmrs[2], '22'.repeat(48)] } }).then(
          (v) => codes(v),
        ),
        'policy_rtmr_not_allowed',
      ],
    ];
    for (const [name, got, expected] of cases) {
      expect([name, await got]).toEqual([name, [expected]]);
    }
    // Rules that only bite when the policy asks for them.
    const v = await make();
    expect(codes(v, variant((p) => ({ ...p, sevSnp: { ...p.sevSnp!, smt: 'forbidden' } })))).toEqual(['policy_smt_not_allowed']);
    expect(codes(await make({ snp: { smtAllowed: false } }), variant((p) => ({ ...p, sevSnp: { ...p.sevSnp!, smt: 'forbidden' } })))).toEqual([]);
    expect(codes(v, variant((p) => ({ ...p, allowSimulated: false })))).toEqual(['policy_simulated_not_allowed']);
    expect(codes(v, variant((p) => ({ ...p, allowedTeeTypes: ['tdx'] })))).toEqual(['policy_tee_type_not_allowed']);
    expect(codes(await make({ cpu: 'tdx' }), variant((p) => ({ ...p, tdx: { ...p.tdx!, requireCollateral: true } })))).toEqual([
      'policy_collateral_unchecked',
    ]);
    expect(codes(await make({ gpu: { ccMode: 'devtools' } }), variant((p) => ({ ...p, gpu: { ...p.gpu, ccMode: 'devtools' } })))).toEqual([]);
  });

  it('maps reasons onto the trust vector: worst tier wins, status follows', async () => {
    const r = appraise(await make({ snp: { debug: true, measurement: 'ab'.repeat(48) }, gpu: { ccMode: 'off' } }), dev);
    expect(r.status).toBe('contraindicated');
    expect(r.trustVector['runtime-opaque']).toBe(96);
    expect(r.trustVector.executables).toBe(33);
    expect(r.trustVector['sourced-data']).toBe(96);
    expect(r.reasons.map((x) => [x.component, x.policyField])).toEqual([
      ['cpu', 'referenceValues.sevSnp'],
      ['cpu', 'debug'],
      ['gpu[0]', 'gpu.ccMode'],
    ]);
  });

  it('TDX TCB status: below minimum denies, accepted-but-not-UpToDate warns', async () => {
    const v = await make({ cpu: 'tdx' });
    const withStatus = (status: string): CompositeVerification => ({ ...v, cpu: { ...v.cpu, tcb: { ...v.cpu.tcb, status } } as VerifiedEvidence });
    const p = variant((x) => ({ ...x, tdx: { minimumTcbStatus: 'SWHardeningNeeded', requireCollateral: true } }));
    expect(appraise(withStatus('UpToDate'), p).status).toBe('affirming');
    const warn = appraise(withStatus('SWHardeningNeeded'), p);
    expect([warn.status, warn.reasons.map((r) => r.code), warn.trustVector.hardware]).toEqual(['warning', ['policy_tcb_status_warning'], 32]);
    const deny = appraise(withStatus('OutOfDate'), p);
    expect([deny.status, deny.reasons.map((r) => r.code)]).toEqual(['contraindicated', ['policy_tcb_status_below_minimum']]);
  });

  it('a verification failure becomes a contraindicated result with every claim at 99', () => {
    const r = verificationFailureResult(new AttestationError('signature_invalid', 'bad', 'signature'), dev);
    expect(r.status).toBe('contraindicated');
    expect(new Set(Object.values(r.trustVector))).toEqual(new Set([99]));
    expect(r.reasons[0]!.code).toBe('signature_invalid');
  });
});

describe('appraise: AWS Nitro Enclaves (the real blocky/nitrite documents, aws-nitro policy)', () => {
  const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(new URL(`../../../../test/fixtures/attestation/${name}`, import.meta.url)));
  const nitro = new NitroVerifier();
  let policy: LoadedPolicy;
  let prod: VerifiedEvidence;
  let debug: VerifiedEvidence;
  const codes = (cpu: VerifiedEvidence, p: LoadedPolicy = policy): string[] => appraise({ cpu, gpus: [], simulated: false }, p).reasons.map((r) => r.code);
  beforeAll(async () => {
    policy = await loadPolicyById(ATTESTATION_DIR, 'aws-nitro');
    prod = await nitro.verify(fixture('nitro-blocky-attestation-doc.cbor'), { at: new Date('2024-09-07T14:37:39.545Z') });
    debug = await nitro.verify(fixture('nitro-blocky-attestation-doc-debug.cbor'), { at: new Date('2024-09-07T14:38:06.508Z') });
  });

  it('affirms the production enclave: PCR0/1/2 match the reference value, not debug, no GPUs needed', () => {
    const r = appraise({ cpu: prod, gpus: [], simulated: false }, policy);
    expect([r.status, r.reasons]).toEqual(['affirming', []]);
    expect(r.claims).toMatchObject({ teeType: 'aws-nitro', measurement: prod.measurement, debug: false });
    expect(r.policy).toEqual({ id: 'aws-nitro', version: 1, hash: policy.policyHash });
  });

  it('refuses the debug enclave (debug forbidden; its zero PCRs are no reference value either)', () => {
    const r = appraise({ cpu: debug, gpus: [], simulated: false }, policy);
    expect(r.status).toBe('contraindicated');
    expect(r.reasons.map((x) => [x.code, x.policyField])).toEqual([
      ['policy_measurement_not_allowed', 'referenceValues.awsNitro'],
      ['policy_debug_enabled', 'debug'],
    ]);
  });

  it('a policy that allows debug and pins the debug PCRs permits it', () => {
    const zeros = { '0': '00'.repeat(48), '1': '00'.repeat(48), '2': '00'.repeat(48) };
    const refs = { ...policy.referenceValues, awsNitro: [{ label: 'debug build', pcrs: zeros }] };
    const lax = loadPolicy({ ...policy.policy, debug: 'allowed', referenceValues: { id: refs.id, sha256: canonicalSha256(refs) } }, refs);
    expect(codes(debug, lax)).toEqual([]);
    expect(codes(prod, lax)).toEqual(['policy_measurement_not_allowed']);
  });

  it('a reference value that leaves out a required PCR matches nothing; another PCR that differs is refused', () => {
    const pinOnly = (pcrs: Record<string, string>): LoadedPolicy => {
      const refs = { ...policy.referenceValues, awsNitro: [{ label: 'partial', pcrs }] };
      return loadPolicy({ ...policy.policy, referenceValues: { id: refs.id, sha256: canonicalSha256(refs) } }, refs);
    };
    const pcrs = prod.details.pcrs as Record<string, string>;
    expect(codes(prod, pinOnly({ '0': pcrs['0']! }))).toEqual(['policy_measurement_not_allowed']);
    expect(codes(prod, pinOnly({ '0': pcrs['0']!, '1': pcrs['1']!, '2': pcrs['2']!, '4': pcrs['4']! }))).toEqual([]);
    expect(codes(prod, pinOnly({ '0': pcrs['0']!, '1': pcrs['1']!, '2': pcrs['2']!, '8': 'ab'.repeat(48) }))).toEqual(['policy_measurement_not_allowed']);
  });

  it('TEE types stay apart: an SNP/TDX policy refuses Nitro evidence', async () => {
    const snp = await loadPolicyById(ATTESTATION_DIR, 'sev-snp-h100');
    expect(codes(prod, snp)).toEqual(['policy_tee_type_not_allowed', 'policy_gpu_missing']);
  });

  it('policy validation: aws-nitro allowed needs an awsNitro block that requires PCR0', () => {
    const { awsNitro: _omitted, ...withoutBlock } = policy.policy;
    expect(errorOf(() => parsePolicy(withoutBlock)).target).toBe('awsNitro');
    expect(errorOf(() => parsePolicy({ ...policy.policy, awsNitro: null })).target).toBe('awsNitro');
    expect(errorOf(() => parsePolicy({ ...policy.policy, awsNitro: { requiredPcrs: [1, 2] } })).target).toBe('awsNitro.requiredPcrs');
    expect(errorOf(() => parsePolicy({ ...policy.policy, awsNitro: { requiredPcrs: [0, 0] } })).target).toBe('awsNitro.requiredPcrs');
  });
});

describe('policy validation', () => {
  let good: Record<string, unknown>;
  beforeAll(async () => {
    good = JSON.parse(await readFile(join(ATTESTATION_DIR, 'policies', 'sev-snp-h100.json'), 'utf8')) as Record<string, unknown>;
  });
  const without = (path: string[]): unknown => {
    const copy = structuredClone(good) as Record<string, unknown>;
    let o = copy;
    for (const k of path.slice(0, -1)) o = o[k] as Record<string, unknown>;
    delete o[path[path.length - 1]!];
    return copy;
  };

  it('names the missing or wrong field', () => {
    for (const path of [['allowSimulated'], ['debug'], ['gpu', 'ccMode'], ['sevSnp', 'minimumTcb', 'microcode'], ['sevSnp', 'migrationAgent'], ['referenceValues', 'sha256']]) {
      const e = errorOf(() => parsePolicy(without(path)));
      expect([e.code, e.target]).toEqual(['policy_invalid', path.join('.')]);
      expect(e.message).toContain(`"${path.join('.')}"`);
    }
    expect(errorOf(() => parsePolicy({ ...good, debug: 'sometimes' })).target).toBe('debug');
    expect(errorOf(() => parsePolicy({ ...good, extra: true })).code).toBe('policy_invalid');
    expect(errorOf(() => parsePolicy({ ...good, sevSnp: null })).target).toBe('sevSnp');
    expect(errorOf(() => parsePolicy({ ...good, allowedTeeTypes: [] })).target).toBe('allowedTeeTypes');
  });

  it('refuses reference values that differ from the pinned digest', async () => {
    const refs = JSON.parse(await readFile(join(ATTESTATION_DIR, 'reference-values', 'example-production.json'), 'utf8')) as {
      sevSnp: { measurement: string }[];
    };
    refs.sevSnp[0]!.measurement = '00'.repeat(48);
    expect(errorOf(() => loadPolicy(good, refs)).code).toBe('policy_reference_values_mismatch');
  });
});
