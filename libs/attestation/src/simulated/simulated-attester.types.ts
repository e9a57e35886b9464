import type { AmdProductAnchors } from '../snp/amd-trust-anchors.js';
import type { SnpProduct } from '../snp/snp-report.js';

/**
 * The development trust anchors of the simulated attester: public certificates only. They are handed to verifiers
 * as a separate "simulated" set, never merged with the production anchors in attestation/roots.
 */
export interface SimulatedTrustAnchors {
  /** Dev ARK → ASK/ASVK per product, in the shape SnpVerifier takes. */
  readonly amd: Readonly<Record<SnpProduct, AmdProductAnchors>>;
  /** Dev "Intel SGX Root CA" (PEM). */
  readonly intelRootPem: string;
  /** Dev "NVIDIA Device Identity CA" (PEM). */
  readonly nvidiaRootPem: string;
}

export interface SnpTcbChoice {
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
}

export interface SimulatedSnpOptions {
  /** 64 bytes; usually bindingReportData(nonce, jwk, gpuEvidence). */
  readonly reportData: Uint8Array;
  /** 48 bytes hex; defaults to SIMULATED_MEASUREMENTS.snp. */
  readonly measurement?: string;
  readonly debug?: boolean;
  readonly smtAllowed?: boolean;
  readonly migrateMa?: boolean;
  readonly vmpl?: number;
  readonly guestSvn?: number;
  /** Reported TCB; defaults to SIMULATED_SNP_TCB. The dev VCEK for this TCB is issued (and cached) on demand. */
  readonly tcb?: SnpTcbChoice;
}

export interface SimulatedSnpEvidence {
  readonly report: Uint8Array;
  /** VCEK (DER) for the reported TCB. */
  readonly vcek: Uint8Array;
}

export interface SimulatedTdxOptions {
  readonly reportData: Uint8Array;
  /** 48 bytes hex each; default SIMULATED_MEASUREMENTS.tdx. */
  readonly mrTd?: string;
  readonly rtmrs?: readonly [string, string, string, string];
  readonly debug?: boolean;
  /** 16 bytes hex TEE_TCB_SVN; default SIMULATED_TDX_TEE_TCB_SVN. */
  readonly teeTcbSvn?: string;
  /** 4 (default) or 5. */
  readonly version?: 4 | 5;
}

export interface SimulatedGpuOptions {
  /** 32-byte SPDM requester nonce. */
  readonly nonce: Uint8Array;
  /** Measurement blocks index → 48-byte hex; defaults to SIMULATED_MEASUREMENTS.h100 for the CC mode. */
  readonly measurements?: Readonly<Record<number, string>>;
  /** Selects the default measurement set; 'on' unless told. */
  readonly ccMode?: 'on' | 'off' | 'devtools';
  readonly driverVersion?: string;
  readonly vbiosVersion?: string;
}

export interface SimulatedGpuEvidence {
  readonly report: Uint8Array;
  /** PEM chain, leaf first (GPU leaf → dev device identity CA). */
  readonly certificateChainPem: string;
}

export interface SimulatedCompositeOptions {
  readonly nonce: Uint8Array;
  readonly teePublicJwk: import('../composite/composite-evidence.js').TeePublicJwk;
  /** CPU evidence kind; 'sev-snp' unless told. */
  readonly cpu?: 'sev-snp' | 'tdx';
  /** Number of simulated H100s (default 1). */
  readonly gpus?: number;
  readonly snp?: Omit<SimulatedSnpOptions, 'reportData'>;
  readonly tdx?: Omit<SimulatedTdxOptions, 'reportData'>;
  readonly gpu?: Omit<SimulatedGpuOptions, 'nonce'>;
}

/**
 * The simulated Attester (embedded/dev mode and tests). Implemented by `SimulatedAttester`
 * (`await SimulatedAttester.loadOrCreate(dir)`); this interface is what callers should depend on.
 */
export interface SimulatedAttesterApi {
  /** Public dev anchors to give verifiers as `simulatedAnchors`. */
  readonly anchors: SimulatedTrustAnchors;
  snpReport(options: SimulatedSnpOptions): Promise<SimulatedSnpEvidence>;
  tdxQuote(options: SimulatedTdxOptions): Promise<Uint8Array>;
  gpuReport(options: SimulatedGpuOptions): Promise<SimulatedGpuEvidence>;
  /** GPU reports for the nonce first, then the CPU report whose report data binds nonce, key and GPU evidence. */
  compositeEvidence(options: SimulatedCompositeOptions): Promise<import('../composite/composite-evidence.js').CompositeEvidence>;
}
