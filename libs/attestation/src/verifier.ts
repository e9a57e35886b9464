/**
 * One Verifier per evidence format, behind one interface (IETF RATS: the Verifier checks signatures, chains,
 * revocation and bindings; appraisal of the claims against a policy is a separate step).
 */
export type EvidenceFormat =
  | 'sev-snp'
  | 'tdx'
  | 'nvidia-spdm'
  | 'nvidia-nras-eat'
  | 'composite'
  | 'aws-nitro'
  | 'azure-vtpm';

export type TeeType = 'sev-snp' | 'tdx' | 'nvidia-h100' | 'aws-nitro';

export interface VerifyOptions {
  /** Point in time the evidence and its collateral are judged at (auditors ask "was it valid then?"). */
  readonly at: Date;
  /** Extra certificates (PEM or DER) given by the caller, e.g. a VCEK or a PCK chain not embedded in the evidence. */
  readonly certificates?: readonly Uint8Array[];
  /** Collateral documents (TDX TCB info / QE identity JSON, CRLs in DER), keyed by what they are. */
  readonly collateral?: Readonly<Record<string, Uint8Array>>;
  /** When set, the evidence's report data must equal this (64 bytes for SNP/TDX). */
  readonly expectedReportData?: Uint8Array;
  /** Simulated (development PKI) evidence is accepted only when this is true. */
  readonly allowSimulated?: boolean;
}

/** Claims every verifier fills in; format-specific claims go in `details`. */
export interface VerifiedEvidence {
  readonly format: EvidenceFormat;
  readonly teeType: TeeType;
  /** True when signed by the development PKI; never trusted in production. */
  readonly simulated: boolean;
  /** Hex of the launch measurement (SNP MEASUREMENT, TDX MRTD, GPU measurement digest). */
  readonly measurement: string;
  /** Hex of REPORT_DATA / REPORTDATA (64 bytes), or the nonce for GPU evidence. */
  readonly reportData: string;
  readonly debug: boolean;
  /** TCB as reported, per component, in the vendor's terms. */
  readonly tcb: Readonly<Record<string, unknown>>;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface EvidenceVerifier {
  readonly format: EvidenceFormat;
  verify(evidence: Uint8Array, options: VerifyOptions): Promise<VerifiedEvidence>;
}
