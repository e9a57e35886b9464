import { bytesEqual, toHex, type CryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { NitroVerifier } from '../nitro/nitro.verifier.js';
import { NvidiaSpdmVerifier } from '../nvidia/spdm.verifier.js';
import type { SimulatedTrustAnchors } from '../simulated/simulated-attester.types.js';
import { SnpVerifier } from '../snp/snp.verifier.js';
import { TdxVerifier } from '../tdx/tdx.verifier.js';
import type { EvidenceVerifier, VerifiedEvidence, VerifyOptions } from '../verifier.js';
import {
  bindingReportData,
  jwkThumbprint,
  sha256Hex,
  type CompositeEvidence,
  type CompositeVerification,
  type CompositeVerifyOptions,
  type TeePublicJwk,
} from './composite-evidence.js';
import { DevAwareVerifier } from './dev-aware.verifier.js';

export interface CompositeVerifierConfig {
  readonly crypto?: CryptoProvider;
  /** Production verifiers; default to the pinned vendor roots. */
  readonly snp?: EvidenceVerifier;
  readonly tdx?: EvidenceVerifier;
  readonly gpu?: EvidenceVerifier;
  readonly nitro?: EvidenceVerifier;
  /**
   * The development PKI's public anchors. Kept apart from the production anchors: evidence that only chains to
   * them is reported as `simulated_not_allowed` unless `allowSimulated`, and is marked `simulated` when allowed.
   * Without them simulated evidence simply fails its chain check.
   */
  readonly simulatedAnchors?: SimulatedTrustAnchors;
}

const NONCE_BYTES = { min: 16, max: 64 } as const;

function validJwk(jwk: TeePublicJwk): boolean {
  const size = { 'P-256': 32, 'P-384': 48, 'P-521': 66 }[jwk.crv];
  const ok = (v: unknown): boolean =>
    typeof v === 'string' && /^[A-Za-z0-9_-]+$/.test(v) && Buffer.from(v, 'base64url').length === size;
  return jwk.kty === 'EC' && size !== undefined && ok(jwk.x) && ok(jwk.y) && !('d' in jwk);
}

/**
 * Verifies composite evidence (DESIGN §5.3): the CPU report and each GPU's SPDM report with the per-format
 * verifiers, then the bindings: each GPU's SPDM nonce is the challenge nonce, and the CPU report data is
 * SHA-512 of canonical {nonce, tee_public_jwk, gpu_evidence_sha256}. Appraisal is a separate step (`appraise`).
 */
export class CompositeVerifier {
  private readonly snp: EvidenceVerifier;
  private readonly tdx: EvidenceVerifier;
  private readonly gpu: EvidenceVerifier;
  /** No development PKI exists for Nitro: simulated mode never trusts anything but the AWS root for it. */
  private readonly nitro: EvidenceVerifier;

  constructor(config: CompositeVerifierConfig = {}) {
    const crypto = config.crypto;
    const sim = config.simulatedAnchors;
    const snp = config.snp ?? new SnpVerifier(crypto ? { crypto } : {});
    const tdx = config.tdx ?? new TdxVerifier();
    const gpu = config.gpu ?? new NvidiaSpdmVerifier(crypto ? { crypto } : {});
    this.nitro = config.nitro ?? new NitroVerifier(crypto ? { crypto } : {});
    this.snp = sim ? new DevAwareVerifier(snp, new SnpVerifier({ ...(crypto ? { crypto } : {}), trustAnchors: sim.amd })) : snp;
    this.tdx = sim ? new DevAwareVerifier(tdx, new TdxVerifier({ trustedRoots: [sim.intelRootPem], requireCollateral: false })) : tdx;
    this.gpu = sim
      ? new DevAwareVerifier(gpu, new NvidiaSpdmVerifier({ ...(crypto ? { crypto } : {}), trustAnchorsPem: sim.nvidiaRootPem }))
      : gpu;
  }

  async verify(bundle: CompositeEvidence, options: CompositeVerifyOptions): Promise<CompositeVerification> {
    const { nonce } = options;
    if (nonce.length < NONCE_BYTES.min || nonce.length > NONCE_BYTES.max) {
      throw new AttestationError('evidence_malformed', 'nonce length is out of range', 'nonce');
    }
    if (!validJwk(bundle.teePublicJwk)) {
      throw new AttestationError('key_binding_mismatch', 'TEE key is not a public EC JWK', 'teePublicJwk');
    }
    const base: Omit<VerifyOptions, 'certificates'> = {
      at: options.at,
      allowSimulated: options.allowSimulated ?? false,
    };

    const gpus: VerifiedEvidence[] = [];
    for (const [i, g] of bundle.gpus.entries()) {
      if (g.format !== 'nvidia-spdm') throw new AttestationError('evidence_format_unknown', 'unsupported GPU evidence', `gpus[${i}].format`);
      const verified = await this.gpu.verify(g.evidence, { ...base, certificates: g.certificates });
      // The SPDM requester nonce is the challenge: a GPU report from another challenge is refused here.
      if (verified.reportData !== toHex(nonce)) {
        throw new AttestationError('nonce_mismatch', 'GPU evidence was produced for another nonce', `gpus[${i}].nonce`);
      }
      gpus.push(verified);
    }

    const byFormat: Record<string, EvidenceVerifier | undefined> = { 'sev-snp': this.snp, tdx: this.tdx, 'aws-nitro': this.nitro };
    const cpuVerifier = Object.hasOwn(byFormat, bundle.cpu.format) ? byFormat[bundle.cpu.format] : undefined;
    if (!cpuVerifier) throw new AttestationError('evidence_format_unknown', 'unsupported CPU evidence', 'cpu.format');
    const cpu = await cpuVerifier.verify(bundle.cpu.evidence, {
      ...base,
      ...(bundle.cpu.certificates ? { certificates: bundle.cpu.certificates } : {}),
      ...(options.collateral ? { collateral: options.collateral } : {}),
    });

    const simulated = cpu.simulated || gpus.some((g) => g.simulated);
    if (simulated && !options.allowSimulated) {
      throw new AttestationError('simulated_not_allowed', 'simulated evidence is accepted only in development mode', 'bundle');
    }

    const gpuEvidence = bundle.gpus.map((g) => g.evidence);
    const expected = bindingReportData(nonce, bundle.teePublicJwk, gpuEvidence);
    const reported = new Uint8Array(Buffer.from(cpu.reportData, 'hex'));
    if (!bytesEqual(expected, reported)) {
      // A hash cannot say which input differs (another nonce, another key, other GPUs): replayed reports and swapped
      // keys both land here. Replays of a whole bundle are caught earlier by the single-use nonce.
      throw new AttestationError('report_data_mismatch', 'CPU report data does not bind this nonce, key and GPU evidence', 'cpu.reportData');
    }
    return {
      cpu,
      gpus,
      simulated,
      nonce: toHex(nonce),
      teePublicJwk: bundle.teePublicJwk,
      teeKeyThumbprint: jwkThumbprint(bundle.teePublicJwk),
      gpuEvidenceSha256: gpuEvidence.map(sha256Hex),
      reportData: cpu.reportData,
    };
  }
}
