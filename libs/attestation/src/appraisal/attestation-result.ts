import type { AttestationErrorCode } from '../attestation.error.js';
import type { TeeType } from '../verifier.js';

/**
 * Attestation Result in the EAR shape (draft-fv-rats-ear) with AR4SI trustworthiness claims
 * (draft-ietf-rats-ar4si §2.3): an overall status plus a per-claim trust vector and the reasons behind it.
 */
export type EarStatus = 'affirming' | 'warning' | 'contraindicated' | 'none';

export const TRUST_CLAIMS = [
  'instance-identity',
  'configuration',
  'executables',
  'file-system',
  'hardware',
  'runtime-opaque',
  'storage-opaque',
  'sourced-data',
] as const;
export type TrustClaim = (typeof TRUST_CLAIMS)[number];

/**
 * AR4SI values. 0 = no claim; 2–31 affirming; 32–95 warning; 96–127 contraindicated.
 * The named values are the ones the draft defines for the claims we set.
 */
export const AR4SI = {
  noClaim: 0,
  /** instance-identity: recognised, not known to be compromised; configuration: approved; executables: approved; hardware: genuine; runtime-opaque: encrypted TEE. */
  affirming: 2,
  /** configuration: known vulnerabilities; executables: genuine but with known bugs; hardware: genuine with known vulnerabilities. */
  warning: 32,
  /** executables: runtime memory includes objects which are not recognised. */
  unrecognizedExecutables: 33,
  /** configuration: unsupportable; executables: contraindicated; hardware: contraindicated; runtime-opaque: visible to the host. */
  contraindicated: 96,
  /** instance-identity / hardware: not recognised, but should be. */
  unrecognized: 97,
  /** Cryptographic validation of the Evidence has failed. */
  cryptoFailed: 99,
} as const;

export type TrustVector = Readonly<Record<TrustClaim, number>>;

export function tierOf(value: number): EarStatus {
  if (value >= 96) return 'contraindicated';
  if (value >= 32) return 'warning';
  if (value >= 2) return 'affirming';
  return 'none';
}

/** Which part of the composite a reason is about: the CPU report or GPU i. */
export type EvidenceComponent = 'cpu' | `gpu[${number}]` | 'bundle';

export interface AppraisalReason {
  readonly code: AttestationErrorCode;
  readonly claim: TrustClaim;
  readonly component: EvidenceComponent;
  /** The policy field (dotted path) whose rule produced this reason. */
  readonly policyField: string;
  /** Safe, short; never key material or PII. */
  readonly message: string;
  /** True when the rule downgrades to warning rather than contraindicated. */
  readonly warning?: boolean;
}

/** The appraised claims kept with the attestation report and put in the attestation-result JWT. */
export interface AppraisedClaims {
  readonly teeType: TeeType;
  readonly measurement: string;
  readonly reportData: string;
  readonly debug: boolean;
  readonly tcb: Readonly<Record<string, unknown>>;
  readonly gpus: readonly { readonly measurement: string; readonly ccMode: 'on' | 'off' | 'devtools' | 'unknown'; readonly tcb: Readonly<Record<string, unknown>> }[];
  /** RFC 7638 thumbprint of the TEE key (the JWT's `cnf.jkt`); '' when a lone report was appraised. */
  readonly teeKeyThumbprint: string;
}

export interface AttestationResult {
  readonly status: EarStatus;
  readonly trustVector: TrustVector;
  /** Empty when affirming. Ordered: CPU first, then GPUs, then bundle. */
  readonly reasons: readonly AppraisalReason[];
  readonly simulated: boolean;
  readonly policy: { readonly id: string; readonly version: number; readonly hash: string };
  readonly claims: AppraisedClaims;
}
