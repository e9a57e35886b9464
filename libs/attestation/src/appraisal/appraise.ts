import type { AttestationError, AttestationErrorCode } from '../attestation.error.js';
import type { CompositeVerification } from '../composite/composite-evidence.js';
import { TCB_STATUSES } from '../tdx/tdx-collateral.js';
import type { VerifiedEvidence } from '../verifier.js';
import type { AttestationPolicy, LoadedPolicy, ReferenceValues } from './attestation-policy.js';
import {
  AR4SI,
  tierOf,
  TRUST_CLAIMS,
  type AppraisalReason,
  type AppraisedClaims,
  type AttestationResult,
  type EarStatus,
  type EvidenceComponent,
  type TrustClaim,
  type TrustVector,
} from './attestation-result.js';

type GpuCcMode = AppraisedClaims['gpus'][number]['ccMode'];

const RANK: Record<EarStatus, number> = { none: 0, affirming: 1, warning: 2, contraindicated: 3 };

class Findings {
  readonly reasons: AppraisalReason[] = [];
  readonly vector: Record<TrustClaim, number>;

  constructor(base: Record<TrustClaim, number>) {
    this.vector = { ...base };
  }

  add(component: EvidenceComponent, code: AttestationErrorCode, claim: TrustClaim, value: number, policyField: string, message: string): void {
    const warning = tierOf(value) === 'warning';
    this.reasons.push({ code, claim, component, policyField, message, ...(warning ? { warning } : {}) });
    if (RANK[tierOf(value)] > RANK[tierOf(this.vector[claim])]) this.vector[claim] = value;
  }
}

function num(v: unknown): number {
  return typeof v === 'number' ? v : -1;
}

function appraiseSnp(f: Findings, cpu: VerifiedEvidence, policy: AttestationPolicy, refs: ReferenceValues): void {
  const rules = policy.sevSnp;
  if (!rules) return; // allowedTeeTypes already refused it
  if (!refs.sevSnp.some((r) => r.measurement === cpu.measurement)) {
    f.add('cpu', 'policy_measurement_not_allowed', 'executables', AR4SI.unrecognizedExecutables, 'referenceValues.sevSnp', 'launch measurement is not a reference value');
  }
  for (const component of ['bootloader', 'tee', 'snp', 'microcode'] as const) {
    if (num(cpu.tcb[component]) < rules.minimumTcb[component]) {
      f.add('cpu', 'policy_tcb_below_minimum', 'hardware', AR4SI.contraindicated, `sevSnp.minimumTcb.${component}`, `${component} SPL is below the minimum`);
    }
  }
  const guestPolicy = (cpu.details.policy ?? {}) as { smtAllowed?: boolean; migrateMa?: boolean };
  if (rules.smt === 'forbidden' && guestPolicy.smtAllowed !== false) {
    f.add('cpu', 'policy_smt_not_allowed', 'configuration', AR4SI.contraindicated, 'sevSnp.smt', 'guest policy allows SMT');
  }
  if (rules.migrationAgent === 'forbidden' && guestPolicy.migrateMa !== false) {
    f.add('cpu', 'policy_migration_agent_not_allowed', 'configuration', AR4SI.contraindicated, 'sevSnp.migrationAgent', 'guest policy allows a migration agent');
  }
  if (!rules.allowedVmpls.includes(num(cpu.details.vmpl))) {
    f.add('cpu', 'policy_vmpl_not_allowed', 'configuration', AR4SI.contraindicated, 'sevSnp.allowedVmpls', 'report comes from a VMPL the policy does not allow');
  }
  if (num(cpu.details.guestSvn) < rules.minimumGuestSvn) {
    f.add('cpu', 'policy_guest_svn_below_minimum', 'executables', AR4SI.contraindicated, 'sevSnp.minimumGuestSvn', 'guest SVN is below the minimum');
  }
}

function appraiseTdx(f: Findings, cpu: VerifiedEvidence, policy: AttestationPolicy, refs: ReferenceValues): void {
  const rules = policy.tdx;
  if (!rules) return;
  const d = cpu.details as Record<string, unknown>;
  const candidates = refs.tdx.filter((r) => r.mrTd === cpu.measurement);
  if (candidates.length === 0) {
    f.add('cpu', 'policy_measurement_not_allowed', 'executables', AR4SI.unrecognizedExecutables, 'referenceValues.tdx', 'MRTD is not a reference value');
  } else {
    const rtmrsMatch = (r: (typeof candidates)[number]): boolean =>
      ([0, 1, 2, 3] as const).every((i) => r[`rtmr${i}`] === null || r[`rtmr${i}`] === d[`rtmr${i}`]);
    if (!candidates.some(rtmrsMatch)) {
      f.add('cpu', 'policy_rtmr_not_allowed', 'executables', AR4SI.unrecognizedExecutables, 'referenceValues.tdx', 'RTMRs do not match the reference values for this MRTD');
    }
  }
  const status = String(cpu.tcb.status ?? 'Unknown');
  const rank = (TCB_STATUSES as readonly string[]).indexOf(status);
  if (rank < 0) {
    if (rules.requireCollateral) {
      f.add('cpu', 'policy_collateral_unchecked', 'hardware', AR4SI.unrecognized, 'tdx.requireCollateral', 'TCB status was not established from collateral');
    }
    return;
  }
  if (rank > TCB_STATUSES.indexOf(rules.minimumTcbStatus as (typeof TCB_STATUSES)[number])) {
    f.add('cpu', 'policy_tcb_status_below_minimum', 'hardware', AR4SI.contraindicated, 'tdx.minimumTcbStatus', `TCB status ${status} is below the minimum`);
  } else if (status !== 'UpToDate') {
    f.add('cpu', 'policy_tcb_status_warning', 'hardware', AR4SI.warning, 'tdx.minimumTcbStatus', `TCB status ${status} is accepted with a warning`);
  }
}

function appraiseNitro(f: Findings, cpu: VerifiedEvidence, policy: AttestationPolicy, refs: ReferenceValues): void {
  const rules = policy.awsNitro;
  if (!rules) return;
  const pcrs = (cpu.details.pcrs ?? {}) as Record<string, string>;
  const matches = (refs.awsNitro ?? []).some(
    (r) => rules.requiredPcrs.every((i) => String(i) in r.pcrs) && Object.entries(r.pcrs).every(([i, value]) => pcrs[i] === value),
  );
  if (!matches) {
    f.add('cpu', 'policy_measurement_not_allowed', 'executables', AR4SI.unrecognizedExecutables, 'referenceValues.awsNitro', 'PCRs match no reference value that pins the required PCRs');
  }
}

function gpuCcMode(gpu: VerifiedEvidence, refs: ReferenceValues): GpuCcMode | undefined {
  const measured = (gpu.details.measurements ?? {}) as Record<string, string>;
  const match = refs.nvidiaH100.find((r) => Object.entries(r.measurements).every(([index, value]) => measured[index] === value));
  return match?.ccMode;
}

/** What appraisal reads: the verified parts (a single CPU report appraises with `gpus: []`). */
export type AppraisalInput = Pick<CompositeVerification, 'cpu' | 'gpus' | 'simulated'> & { readonly teeKeyThumbprint?: string };

/**
 * Appraises verified composite evidence against a policy (IETF RATS: Verifier's appraisal policy for evidence),
 * giving an EAR-style Attestation Result. Pure: no I/O, no clock. Deny by default: a rule that cannot be checked
 * counts against the evidence. Every failed rule adds a reason with its own code and the policy field behind it.
 */
export function appraise(v: AppraisalInput, loaded: LoadedPolicy): AttestationResult {
  const { policy, referenceValues: refs } = loaded;
  const f = new Findings({
    'instance-identity': AR4SI.affirming,
    configuration: AR4SI.affirming,
    executables: AR4SI.affirming,
    'file-system': AR4SI.noClaim,
    hardware: AR4SI.affirming,
    'runtime-opaque': AR4SI.affirming,
    'storage-opaque': AR4SI.noClaim,
    'sourced-data': v.gpus.length > 0 ? AR4SI.affirming : AR4SI.noClaim,
  });

  if (v.simulated && !policy.allowSimulated) {
    f.add('bundle', 'policy_simulated_not_allowed', 'hardware', AR4SI.unrecognized, 'allowSimulated', 'simulated evidence is not allowed by this policy');
  }
  const cpu = v.cpu;
  if (cpu.teeType !== 'sev-snp' && cpu.teeType !== 'tdx' && cpu.teeType !== 'aws-nitro') {
    f.add('cpu', 'policy_tee_type_not_allowed', 'hardware', AR4SI.unrecognized, 'allowedTeeTypes', 'CPU evidence is not from a TEE type this policy allows');
  } else if (!policy.allowedTeeTypes.includes(cpu.teeType)) {
    f.add('cpu', 'policy_tee_type_not_allowed', 'hardware', AR4SI.unrecognized, 'allowedTeeTypes', `TEE type ${cpu.teeType} is not allowed`);
  } else if (cpu.teeType === 'sev-snp') {
    appraiseSnp(f, cpu, policy, refs);
  } else if (cpu.teeType === 'tdx') {
    appraiseTdx(f, cpu, policy, refs);
  } else {
    appraiseNitro(f, cpu, policy, refs);
  }
  if (policy.debug === 'forbidden' && cpu.debug) {
    f.add('cpu', 'policy_debug_enabled', 'runtime-opaque', AR4SI.contraindicated, 'debug', 'the TEE runs in debug mode (memory readable by the host)');
  }

  if (v.gpus.length < policy.gpu.minimumCount) {
    f.add('bundle', 'policy_gpu_missing', 'sourced-data', AR4SI.contraindicated, 'gpu.minimumCount', `${v.gpus.length} GPU(s) attested, policy needs ${policy.gpu.minimumCount}`);
  }
  const gpus = v.gpus.map((gpu, i) => {
    const component: EvidenceComponent = `gpu[${i}]`;
    const ccMode = gpuCcMode(gpu, refs);
    if (!ccMode) {
      f.add(component, 'policy_gpu_measurement_not_allowed', 'sourced-data', AR4SI.contraindicated, 'referenceValues.nvidiaH100', 'GPU measurements match no reference value');
    } else if (ccMode !== policy.gpu.ccMode) {
      f.add(component, 'policy_gpu_cc_disabled', 'sourced-data', AR4SI.contraindicated, 'gpu.ccMode', `GPU CC mode is ${ccMode}`);
    }
    if (policy.debug === 'forbidden' && gpu.debug) {
      f.add(component, 'policy_debug_enabled', 'runtime-opaque', AR4SI.contraindicated, 'debug', 'GPU runs in debug mode');
    }
    return { measurement: gpu.measurement, ccMode: ccMode ?? ('unknown' as const), tcb: gpu.tcb };
  });

  const trustVector: TrustVector = f.vector;
  const status = TRUST_CLAIMS.map((c) => tierOf(trustVector[c])).reduce<EarStatus>((a, b) => (RANK[b] > RANK[a] ? b : a), 'none');
  return {
    status,
    trustVector,
    reasons: f.reasons,
    simulated: v.simulated,
    policy: { id: policy.id, version: policy.version, hash: loaded.policyHash },
    claims: {
      teeType: cpu.teeType,
      measurement: cpu.measurement,
      reportData: cpu.reportData,
      debug: cpu.debug,
      tcb: cpu.tcb,
      gpus,
      teeKeyThumbprint: v.teeKeyThumbprint ?? '',
    },
  };
}

/**
 * The result to record when verification itself failed (no claims can be trusted): contraindicated, every claim
 * "cryptographic validation of the Evidence has failed" (AR4SI 99), the verifier's reason code as the only reason.
 */
export function verificationFailureResult(error: AttestationError, loaded?: LoadedPolicy): Omit<AttestationResult, 'claims' | 'simulated'> {
  const trustVector = Object.fromEntries(TRUST_CLAIMS.map((c) => [c, AR4SI.cryptoFailed])) as unknown as TrustVector;
  return {
    status: 'contraindicated',
    trustVector,
    reasons: [{ code: error.code, claim: 'instance-identity', component: 'bundle', policyField: '', message: error.message }],
    policy: loaded ? { id: loaded.policy.id, version: loaded.policy.version, hash: loaded.policyHash } : { id: '', version: 0, hash: '' },
  };
}
