import { concatBytes, toHex, WebCryptoProvider, type CryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import {
  certificatesFromPemOrDer,
  parseCertificate,
  verifyCertificateChain,
  VerifiedLinkCache,
  type Certificate,
} from '../common/index.js';
import type { EvidenceVerifier, VerifiedEvidence, VerifyOptions } from '../verifier.js';
import { diceFwids } from './gpu-device-certificate.js';
import { NVIDIA_DEVICE_IDENTITY_ROOT_PEM } from './nvidia-trust-anchors.js';
import { parseSpdmMeasurementReport, type SpdmMeasurementReport } from './spdm-measurements.js';

export interface NvidiaSpdmVerifierConfig {
  readonly crypto?: CryptoProvider;
  /** PEM of the device identity root(s); defaults to the pinned NVIDIA Device Identity CA. */
  readonly trustAnchorsPem?: string;
}

export interface NvidiaSpdmVerification {
  readonly report: SpdmMeasurementReport;
  /** Subjects, leaf (GSP FMC LF) first, root last. */
  readonly chain: readonly string[];
  /** SHA-384 over the concatenated measurement values in index order: one digest for the whole GPU state. */
  readonly measurementDigest: string;
}

/**
 * NVIDIA H100 SPDM Verifier: device certificate chain (given in `options.certificates`) up to the pinned NVIDIA
 * Device Identity CA at `at`, DICE FWID of the leaf against the reported FWID, the ECDSA P-384 signature over
 * request ‖ response, and the nonce. It does not fetch OCSP or RIMs: comparing measurements against NVIDIA's
 * reference values is appraisal.
 */
export class NvidiaSpdmVerifier implements EvidenceVerifier {
  readonly format = 'nvidia-spdm' as const;
  private readonly crypto: CryptoProvider;
  private readonly verifiedLinks = new VerifiedLinkCache();
  private readonly roots: readonly Certificate[];

  constructor(config: NvidiaSpdmVerifierConfig = {}) {
    this.crypto = config.crypto ?? new WebCryptoProvider();
    const pem = config.trustAnchorsPem ?? NVIDIA_DEVICE_IDENTITY_ROOT_PEM;
    this.roots = certificatesFromPemOrDer(new TextEncoder().encode(pem)).map((d) => parseCertificate(d, 'nvidia-root'));
  }

  async verify(evidence: Uint8Array, options: VerifyOptions): Promise<VerifiedEvidence> {
    return nvidiaSpdmToVerifiedEvidence(await this.verifyReport(evidence, options));
  }

  async verifyReport(evidence: Uint8Array, options: VerifyOptions): Promise<NvidiaSpdmVerification> {
    const report = parseSpdmMeasurementReport(evidence);
    const certs = (options.certificates ?? []).flatMap((blob) =>
      certificatesFromPemOrDer(blob).map((der) => parseCertificate(der, 'gpu-certificates')),
    );
    const leaf = certs[0];
    if (!leaf) throw new AttestationError('certificate_chain_incomplete', 'no GPU device certificate supplied', 'certificates');
    const chain = await verifyCertificateChain(this.crypto, {
      leaf,
      intermediates: certs.slice(1),
      trustAnchors: this.roots,
      at: options.at,
      what: 'gpu-device',
      verifiedLinks: this.verifiedLinks,
    });

    if (leaf.publicKey.kind !== 'ec' || leaf.publicKey.curve !== 'P-384') {
      throw new AttestationError('certificate_extension_mismatch', 'GPU leaf key is not EC P-384', 'leaf');
    }
    const signatureOk = await this.crypto.verifyEcdsa({
      curve: 'P-384',
      hash: 'SHA-384',
      publicKey: { spki: leaf.publicKey.spki },
      signature: report.signature,
      signatureFormat: 'p1363',
      data: report.signedBytes,
    });
    if (!signatureOk) throw new AttestationError('signature_invalid', 'SPDM measurement signature is invalid', 'signature');

    const fwid = report.opaque.fwid;
    if (!fwid || !diceFwids(leaf).includes(fwid)) {
      throw new AttestationError('certificate_extension_mismatch', 'reported FWID differs from the device certificate', 'fwid');
    }
    if (options.expectedReportData && toHex(options.expectedReportData) !== report.nonce) {
      throw new AttestationError('report_data_mismatch', 'SPDM nonce differs from the expected nonce', 'nonce');
    }
    const ordered = [...report.blocks].sort((a, b) => a.index - b.index);
    const values = ordered.map((b) => new Uint8Array(Buffer.from(b.value, 'hex')));
    const measurementDigest = toHex(await this.crypto.digest('SHA-384', concatBytes(...values)));
    return { report, chain: chain.map((c) => c.subjectCommonName), measurementDigest };
  }
}

export function nvidiaSpdmToVerifiedEvidence(v: NvidiaSpdmVerification): VerifiedEvidence {
  const { report } = v;
  return {
    format: 'nvidia-spdm',
    teeType: 'nvidia-h100',
    simulated: false,
    measurement: v.measurementDigest,
    reportData: report.nonce,
    // SPDM evidence carries no debug attestation of its own; the GPU's debug state shows up only when the
    // measurements are compared with NVIDIA's RIMs (appraisal). `details.debugAttested` says so.
    debug: false,
    tcb: {
      driverVersion: report.opaque.driverVersion,
      vbiosVersion: report.opaque.vbiosVersion,
    },
    details: {
      debugAttested: false,
      measurements: Object.fromEntries(report.blocks.map((b) => [String(b.index), b.value])),
      opaque: report.opaque,
      responderNonce: report.responderNonce,
      chain: v.chain,
      trailingBytes: report.trailingBytes,
    },
  };
}
