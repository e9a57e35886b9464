import { concatBytes, WebCryptoProvider, type CryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import {
  certificatesFromPemOrDer,
  checkRevocation,
  parseCertificate,
  parseCrl,
  verifyCertificateChain,
  VerifiedLinkCache,
  type Certificate,
} from '../common/index.js';
import type { EvidenceVerifier, VerifiedEvidence, VerifyOptions } from '../verifier.js';
import { parseAmdEndorsementKey, type AmdEndorsementKeyInfo } from './amd-key-extensions.js';
import { AMD_TRUST_ANCHORS, type AmdProductAnchors } from './amd-trust-anchors.js';
import {
  parseSnpReport,
  withProduct,
  type SnpAttestationReport,
  type SnpProduct,
  type SnpTcbVersion,
} from './snp-report.js';

/** Keys of `VerifyOptions.collateral` the SNP verifier reads. */
export const SNP_COLLATERAL_KEYS = {
  /** AMD KDS CRL for the product (DER), from /vcek/v1/{product}/crl or /vlek/v1/{product}/crl. */
  crl: 'amd-crl',
} as const;

export interface SnpVerifierConfig {
  readonly crypto?: CryptoProvider;
  /** Per-product AMD chains; defaults to the pinned anchors in attestation/roots/amd. */
  readonly trustAnchors?: Readonly<Record<SnpProduct, AmdProductAnchors>>;
}

/** Everything the SNP verifier established; `toVerifiedEvidence` maps it to the common claims. */
export interface SnpVerification {
  readonly report: SnpAttestationReport;
  readonly product: SnpProduct;
  readonly endorsementKey: AmdEndorsementKeyInfo;
  /** Subjects, leaf (VCEK/VLEK) first, ARK last. */
  readonly chain: readonly string[];
  readonly revocationChecked: boolean;
}

interface ProductTrust {
  readonly ark: Certificate;
  readonly ask: Certificate;
  readonly asvk: Certificate;
}

function tcbMatches(reported: SnpTcbVersion, certified: AmdEndorsementKeyInfo['tcb'], product: SnpProduct): boolean {
  return (
    reported.bootloader === certified.bootloader &&
    reported.tee === certified.tee &&
    reported.snp === certified.snp &&
    reported.microcode === certified.microcode &&
    (product !== 'Turin' || reported.fmc === certified.fmc)
  );
}

/**
 * AMD SEV-SNP Verifier: report signature (ECDSA P-384 by the VCEK or VLEK), VCEK/VLEK → ASK/ASVK → pinned ARK
 * (RSA-PSS SHA-384), validity at `at`, optional CRL, and the VCEK's TCB and hwID against the report's REPORTED_TCB
 * and CHIP_ID. It appraises nothing: policy bits, VMPL and measurement are returned as claims.
 */
export class SnpVerifier implements EvidenceVerifier {
  readonly format = 'sev-snp' as const;
  private readonly crypto: CryptoProvider;
  private readonly verifiedLinks = new VerifiedLinkCache();
  private readonly trust: Readonly<Record<SnpProduct, ProductTrust>>;
  /**
   * Supplied certificate blobs already parsed, matched by exact bytes (VCEKs repeat across reports of a chip).
   * Returning the same objects lets the link cache and the extension cache hit by identity.
   */
  private readonly certificateBlobs = new Map<number, { bytes: Buffer; certs: Certificate[] }[]>();
  private certificateBlobCount = 0;
  private readonly endorsementKeys = new WeakMap<Certificate, AmdEndorsementKeyInfo>();

  constructor(config: SnpVerifierConfig = {}) {
    this.crypto = config.crypto ?? new WebCryptoProvider();
    const anchors = config.trustAnchors ?? AMD_TRUST_ANCHORS;
    const load = (product: SnpProduct): ProductTrust => {
      const [ask, ark] = certificatesFromPemOrDer(new TextEncoder().encode(anchors[product].vcekChainPem)).map((d) =>
        parseCertificate(d, `${product} ASK/ARK`),
      );
      const [asvk, ark2] = certificatesFromPemOrDer(new TextEncoder().encode(anchors[product].vlekChainPem)).map((d) =>
        parseCertificate(d, `${product} ASVK/ARK`),
      );
      if (!ask || !ark || !asvk || !ark2 || Buffer.compare(ark.der, ark2.der) !== 0) {
        throw new Error(`AMD trust anchors for ${product} are incomplete`);
      }
      return { ark, ask, asvk };
    };
    this.trust = { Milan: load('Milan'), Genoa: load('Genoa'), Turin: load('Turin') };
  }

  private parsedCertificates(blob: Uint8Array): Certificate[] {
    const view = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    const bucket = this.certificateBlobs.get(blob.length);
    const hit = bucket?.find((e) => e.bytes.equals(view));
    if (hit) return hit.certs;
    const certs = certificatesFromPemOrDer(blob).map((der) => parseCertificate(der, 'certificates'));
    if (this.certificateBlobCount >= 256) {
      this.certificateBlobs.clear();
      this.certificateBlobCount = 0;
    }
    const entry = { bytes: Buffer.from(view), certs };
    if (bucket) bucket.push(entry);
    else this.certificateBlobs.set(blob.length, [entry]);
    this.certificateBlobCount++;
    return certs;
  }

  async verify(evidence: Uint8Array, options: VerifyOptions): Promise<VerifiedEvidence> {
    return toVerifiedEvidence(await this.verifyReport(evidence, options));
  }

  async verifyReport(evidence: Uint8Array, options: VerifyOptions): Promise<SnpVerification> {
    let report = parseSnpReport(evidence);
    if (report.signerInfo.signingKey === 'none' || report.signerInfo.chipKeyMasked) {
      throw new AttestationError('signature_invalid', 'SNP report is not signed (chip key masked)', 'signerInfo');
    }

    const supplied = (options.certificates ?? []).flatMap((blob) => this.parsedCertificates(blob));
    const wanted = report.signerInfo.signingKey === 'vlek' ? 'SEV-VLEK' : 'SEV-VCEK';
    const leaf = supplied.find((c) => c.subjectCommonName === wanted);
    if (!leaf) {
      throw new AttestationError('certificate_chain_incomplete', `no ${wanted} certificate supplied`, 'certificates');
    }
    let endorsementKey = this.endorsementKeys.get(leaf);
    if (!endorsementKey) {
      endorsementKey = parseAmdEndorsementKey(leaf);
      this.endorsementKeys.set(leaf, endorsementKey);
    }
    if (report.product && report.product !== endorsementKey.product) {
      throw new AttestationError('certificate_extension_mismatch', 'report CPUID and endorsement key product differ', 'product');
    }
    const product = endorsementKey.product;
    if (!report.product) report = withProduct(report, product, evidence);

    const trust = this.trust[product];
    const chain = await verifyCertificateChain(this.crypto, {
      leaf,
      intermediates: [...supplied.filter((c) => c !== leaf), endorsementKey.kind === 'vlek' ? trust.asvk : trust.ask],
      trustAnchors: [trust.ark],
      at: options.at,
      what: endorsementKey.kind,
      verifiedLinks: this.verifiedLinks,
    });

    const crlDer = options.collateral?.[SNP_COLLATERAL_KEYS.crl];
    if (crlDer) {
      const crl = parseCrl(crlDer, SNP_COLLATERAL_KEYS.crl);
      const ark = chain[chain.length - 1]!;
      await checkRevocation(this.crypto, crl, ark, chain.slice(0, -1), options.at, SNP_COLLATERAL_KEYS.crl, this.verifiedLinks);
    }

    if (leaf.publicKey.kind !== 'ec') throw new AttestationError('certificate_extension_mismatch', 'not an EC key', 'endorsementKey');
    const signatureOk = await this.crypto.verifyEcdsa({
      curve: 'P-384',
      hash: 'SHA-384',
      publicKey: { spki: leaf.publicKey.spki },
      signature: concatBytes(report.signature.r, report.signature.s),
      signatureFormat: 'p1363',
      data: report.signedBytes,
    });
    if (!signatureOk) throw new AttestationError('signature_invalid', 'SNP report signature is invalid', 'signature');

    if (!tcbMatches(report.reportedTcb, endorsementKey.tcb, product)) {
      throw new AttestationError('certificate_extension_mismatch', 'REPORTED_TCB differs from the endorsement key TCB', 'reportedTcb');
    }
    if (endorsementKey.kind === 'vcek' && endorsementKey.hwId && !/^0+$/.test(report.chipId)) {
      // Turin hwIDs are 8 bytes: they must equal the first 8 bytes of CHIP_ID.
      if (!report.chipId.startsWith(endorsementKey.hwId) || (product !== 'Turin' && report.chipId !== endorsementKey.hwId)) {
        throw new AttestationError('certificate_extension_mismatch', 'CHIP_ID differs from the VCEK hwID', 'chipId');
      }
    }
    if (options.expectedReportData && Buffer.from(options.expectedReportData).toString('hex') !== report.reportData) {
      throw new AttestationError('report_data_mismatch', 'REPORT_DATA differs from the expected value', 'reportData');
    }
    return {
      report,
      product,
      endorsementKey,
      chain: chain.map((c) => c.subjectCommonName),
      revocationChecked: crlDer !== undefined,
    };
  }
}

export function toVerifiedEvidence(v: SnpVerification): VerifiedEvidence {
  const { report } = v;
  const tcb = (t: SnpTcbVersion): Record<string, number> => ({
    bootloader: t.bootloader,
    tee: t.tee,
    snp: t.snp,
    microcode: t.microcode,
    ...(t.fmc !== undefined ? { fmc: t.fmc } : {}),
  });
  return {
    format: 'sev-snp',
    teeType: 'sev-snp',
    simulated: false,
    measurement: report.measurement,
    reportData: report.reportData,
    debug: report.policy.debug,
    tcb: { ...tcb(report.reportedTcb), product: v.product },
    details: {
      product: v.product,
      version: report.version,
      vmpl: report.vmpl,
      guestSvn: report.guestSvn,
      policy: report.policy,
      platformInfo: report.platformInfo,
      signingKey: v.endorsementKey.kind,
      hostData: report.hostData,
      familyId: report.familyId,
      imageId: report.imageId,
      idKeyDigest: report.idKeyDigest,
      authorKeyDigest: report.authorKeyDigest,
      reportId: report.reportId,
      reportIdMa: report.reportIdMa,
      chipId: report.chipId,
      currentTcb: tcb(report.currentTcb),
      committedTcb: tcb(report.committedTcb),
      launchTcb: tcb(report.launchTcb),
      currentFirmware: report.currentFirmware,
      committedFirmware: report.committedFirmware,
      chain: v.chain,
      revocationChecked: v.revocationChecked,
      ...(v.endorsementKey.cspId ? { cspId: v.endorsementKey.cspId } : {}),
    },
  };
}
