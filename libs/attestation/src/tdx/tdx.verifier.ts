import { toHex, WebCryptoProvider, type CryptoProvider } from '@confide/crypto';
import { AttestationError } from '../attestation.error.js';
import { sameBytes } from '../common/der.js';
import {
  certificatesFromPemOrDer,
  parseCertificate,
  parseCrl,
  VerifiedLinkCache,
  verifySignedBy,
  type Certificate,
  type CertificateRevocationList,
} from '../common/index.js';
import type { EvidenceVerifier, VerifiedEvidence, VerifyOptions } from '../verifier.js';
import { INTEL_SGX_ROOT_CA_PEM } from './intel-roots.js';
import { parsePckExtensions, type PckExtensions } from './pck-extensions.js';
import { evaluateQeIdentity, evaluateTdxTcb, type TcbLevelMatch, type TdxTcbEvaluation } from './tcb-status.js';
import {
  ContentCache,
  verifyIntelChain,
  verifyQeIdentity,
  verifyTcbInfo,
  type CollateralContext,
  type TdQeIdentity,
  type TdxTcbInfo,
} from './tdx-collateral.js';
import { attestationKeyOf, ECDSA_SHA256_P1363 } from './tdx-crypto.js';
import { CERT_DATA_PCK_CHAIN, parseTdxQuote, tdAttributesOf, type TdAttributes, type TdxQuote } from './tdx-quote.js';

/** Keys of `VerifyOptions.collateral` the TDX verifier reads (names as in Intel PCS responses). */
export const TDX_COLLATERAL_KEYS = {
  /** Body of `GET /tdx/certification/v4/tcb?fmspc=` (JSON, exact bytes). */
  tcbInfo: 'tcbInfo',
  /** PEM from the `TCB-Info-Issuer-Chain` header. */
  tcbInfoIssuerChain: 'tcbInfoIssuerChain',
  /** Body of `GET /tdx/certification/v4/qe/identity` (JSON, exact bytes). */
  qeIdentity: 'qeIdentity',
  /** PEM from `SGX-Enclave-Identity-Issuer-Chain`; defaults to the TCB info issuer chain (same signer). */
  qeIdentityIssuerChain: 'qeIdentityIssuerChain',
  /** DER PCK CRL (`/sgx/certification/v4/pckcrl?ca=platform|processor&encoding=der`). */
  pckCrl: 'pckCrl',
  /** DER Intel SGX Root CA CRL. */
  rootCaCrl: 'rootCaCrl',
} as const;

export interface TdxVerifierConfig {
  /** Trust anchors (PEM or DER). Defaults to the pinned Intel SGX Root CA. */
  readonly trustedRoots?: readonly (Uint8Array | string)[];
  /**
   * When true (default), TCB info, QE identity, their issuer chain and both CRLs must be supplied and pass.
   * When false, whatever collateral is supplied is still fully checked, and what is missing is reported as unchecked.
   */
  readonly requireCollateral?: boolean;
  /** The shared crypto seam (default: a WebCryptoProvider). */
  readonly crypto?: CryptoProvider;
}

/** Which collateral took part in the verdict (auditors need to know what was not checked). */
export interface TdxCollateralChecked {
  readonly tcbInfo: boolean;
  readonly qeIdentity: boolean;
  readonly pckCrl: boolean;
  readonly rootCaCrl: boolean;
}

export interface TdxVerification {
  readonly quote: TdxQuote;
  readonly tdAttributes: TdAttributes;
  readonly pck: PckExtensions;
  /** Leaf first, root last. */
  readonly pckChain: readonly Certificate[];
  readonly tcb: TdxTcbEvaluation | undefined;
  readonly qeTcb: TcbLevelMatch | undefined;
  readonly tcbInfo: TdxTcbInfo | undefined;
  readonly qeIdentity: TdQeIdentity | undefined;
  readonly collateralChecked: TdxCollateralChecked;
  /** SHA-256 (hex) of the quote's attestation key and of the PCK leaf certificate, for the audit record. */
  readonly attestationKeySha256: string;
  readonly pckCertificateSha256: string;
}

/**
 * Verifier for Intel TDX DCAP quotes (v4, v5): quote signature by the attestation key, QE report signed by the
 * PCK, QE report data binding the attestation key and QE auth data, PCK chain to the Intel SGX Root CA with CRLs,
 * and TCB info / QE identity collateral giving the TCB status, all judged at `options.at`.
 */
export class TdxVerifier implements EvidenceVerifier {
  readonly format = 'tdx' as const;
  private readonly crypto: CryptoProvider;
  /** For certificates, CRLs and collateral, which repeat across quotes (the chain cache). */
  private readonly verifiedLinks = new VerifiedLinkCache();
  /** Per PCK leaf (a cached object): its SGX extensions, its SHA-256, and QE report‖signature pairs that verified. */
  private readonly perPck = new WeakMap<Certificate, { pck: PckExtensions; sha256: Promise<Uint8Array>; qeReports: Buffer[] }>();
  private readonly roots: readonly Certificate[];
  private readonly parsed: ContentCache;
  private readonly requireCollateral: boolean;

  constructor(config: TdxVerifierConfig = {}) {
    this.crypto = config.crypto ?? new WebCryptoProvider();
    this.parsed = new ContentCache();
    this.requireCollateral = config.requireCollateral ?? true;
    const anchors = config.trustedRoots ?? [INTEL_SGX_ROOT_CA_PEM];
    this.roots = anchors.flatMap((a) => certificatesFromPemOrDer(a)).map((der, i) => parseCertificate(der, `trustedRoot[${i}]`));
    if (this.roots.length === 0) throw new AttestationError('certificate_untrusted_root', 'no trusted root configured', 'trustedRoots');
  }

  async verify(evidence: Uint8Array, options: VerifyOptions): Promise<VerifiedEvidence> {
    return toVerifiedEvidence(await this.verifyQuote(evidence, options));
  }

  /** The core of `verify`, returning the full TDX view (quote, PCK extensions, TCB evaluation). */
  async verifyQuote(evidence: Uint8Array, options: VerifyOptions): Promise<TdxVerification> {
    const quote = parseTdxQuote(evidence);
    const collateral = options.collateral ?? {};
    const crls: CertificateRevocationList[] = [];
    const checked = { tcbInfo: false, qeIdentity: false, pckCrl: false, rootCaCrl: false };
    for (const key of ['pckCrl', 'rootCaCrl'] as const) {
      const der = collateral[TDX_COLLATERAL_KEYS[key]];
      if (der) {
        crls.push(this.parsed.get(key, der, () => parseCrl(der, key)));
        checked[key] = true;
      } else if (this.requireCollateral) {
        throw new AttestationError('collateral_missing', 'required collateral is missing', key);
      }
    }

    // 1. PCK chain → trusted root, with CRLs.
    const context: CollateralContext = {
      crypto: this.crypto,
      at: options.at,
      trustedRoots: this.roots,
      crls,
      requireCrls: this.requireCollateral,
      parsed: this.parsed,
      verifiedLinks: this.verifiedLinks,
    };
    const pckChain =
      quote.pckCertDataType === CERT_DATA_PCK_CHAIN
        ? this.parsed.get('pckChain', quote.pckCertData, () => certificatesFromPemOrDer(quote.pckCertData).map((der, i) => parseCertificate(der, `pck[${i}]`)))
        : (options.certificates ?? []).flatMap((c) => certificatesFromPemOrDer(c)).map((der, i) => parseCertificate(der, `pck[${i}]`));
    const chain = await verifyIntelChain(pckChain, context, 'pck');
    const pckLeaf = chain[0]!;
    let leafInfo = this.perPck.get(pckLeaf);
    if (!leafInfo) {
      leafInfo = { pck: parsePckExtensions(pckLeaf), sha256: this.crypto.digest('SHA-256', pckLeaf.der), qeReports: [] };
      this.perPck.set(pckLeaf, leafInfo);
    }
    const pck = leafInfo.pck;

    // 2. QE report signed by the PCK key. A QE report repeats across quotes from the same QE: a pair of exact
    //    (report, signature) bytes that verified under this leaf verifies again.
    const qeSigned = Buffer.concat([quote.qeReport.raw, quote.qeReportSignature]);
    if (!leafInfo.qeReports.some((b) => b.equals(qeSigned))) {
      const qeReport = { tbs: quote.qeReport.raw, signatureAlgorithm: ECDSA_SHA256_P1363, signature: quote.qeReportSignature };
      if (!(await verifySignedBy(this.crypto, qeReport, pckLeaf.publicKey, 'qeReportSignature'))) {
        throw new AttestationError('qe_report_signature_invalid', 'QE report signature is invalid', 'qeReportSignature');
      }
      if (leafInfo.qeReports.length >= 8) leafInfo.qeReports.shift();
      leafInfo.qeReports.push(qeSigned);
    }
    // 3. The QE vouches for this attestation key: report_data = SHA-256(attestation key ‖ QE auth data) ‖ 0^32.
    const binding = await this.crypto.digest('SHA-256', Buffer.concat([quote.attestationKey, quote.qeAuthData]));
    const reportData = quote.qeReport.reportData;
    if (reportData.length !== 64 || !sameBytes(binding, reportData.subarray(0, 32)) || reportData.subarray(32).some((b) => b !== 0)) {
      throw new AttestationError('qe_report_data_mismatch', 'QE report does not bind the attestation key', 'qeReport.reportData');
    }
    // 4. Quote signature over header + body by the attestation key.
    const signedQuote = { tbs: quote.signedRegion, signatureAlgorithm: ECDSA_SHA256_P1363, signature: quote.signature };
    if (!(await verifySignedBy(this.crypto, signedQuote, attestationKeyOf(quote.attestationKey), 'signature'))) {
      throw new AttestationError('signature_invalid', 'TDX quote signature is invalid', 'signature');
    }
    if (options.expectedReportData && !sameBytes(options.expectedReportData, Buffer.from(quote.body.reportData, 'hex'))) {
      throw new AttestationError('report_data_mismatch', 'REPORTDATA does not match the expected value', 'body.reportData');
    }

    // 5. Collateral: QE identity, then TCB info.
    const issuerChainOf = (key: 'tcbInfoIssuerChain' | 'qeIdentityIssuerChain'): Certificate[] => {
      const pem = collateral[TDX_COLLATERAL_KEYS[key]] ?? collateral[TDX_COLLATERAL_KEYS.tcbInfoIssuerChain];
      if (!pem) throw new AttestationError('collateral_missing', 'collateral issuer chain is missing', key);
      return this.parsed.get(key, pem, () => certificatesFromPemOrDer(pem).map((der, i) => parseCertificate(der, `${key}[${i}]`)));
    };

    let qeIdentity: TdQeIdentity | undefined;
    let qeTcb: TcbLevelMatch | undefined;
    const qeIdentityBody = collateral[TDX_COLLATERAL_KEYS.qeIdentity];
    if (qeIdentityBody) {
      qeIdentity = await verifyQeIdentity(qeIdentityBody, issuerChainOf('qeIdentityIssuerChain'), context);
      qeTcb = evaluateQeIdentity(qeIdentity, quote.qeReport);
      checked.qeIdentity = true;
      if (qeTcb.status === 'Revoked') throw new AttestationError('tcb_revoked', 'quoting enclave TCB is revoked', 'qeIdentity');
    } else if (this.requireCollateral) {
      throw new AttestationError('collateral_missing', 'required collateral is missing', 'qeIdentity');
    }

    let tcbInfo: TdxTcbInfo | undefined;
    let tcb: TdxTcbEvaluation | undefined;
    const tcbInfoBody = collateral[TDX_COLLATERAL_KEYS.tcbInfo];
    if (tcbInfoBody) {
      tcbInfo = await verifyTcbInfo(tcbInfoBody, issuerChainOf('tcbInfoIssuerChain'), context);
      tcb = evaluateTdxTcb(tcbInfo, pck, quote.body, qeTcb);
      checked.tcbInfo = true;
      if (tcb.status === 'Revoked') throw new AttestationError('tcb_revoked', 'platform TCB is revoked', 'tcbInfo');
    } else if (this.requireCollateral) {
      throw new AttestationError('collateral_missing', 'required collateral is missing', 'tcbInfo');
    }

    return {
      quote,
      tdAttributes: tdAttributesOf(quote.body),
      pck,
      pckChain: chain,
      tcb,
      qeTcb,
      tcbInfo,
      qeIdentity,
      collateralChecked: checked,
      attestationKeySha256: toHex(await this.crypto.digest('SHA-256', quote.attestationKey)),
      pckCertificateSha256: toHex(await leafInfo.sha256),
    };
  }
}

/** Maps the TDX view onto the format-neutral claims every verifier returns. */
export function toVerifiedEvidence(v: TdxVerification): VerifiedEvidence {
  const { quote, pck } = v;
  const body = quote.body;
  return {
    format: 'tdx',
    teeType: 'tdx',
    simulated: false,
    measurement: body.mrTd,
    reportData: body.reportData,
    debug: v.tdAttributes.debug,
    tcb: {
      teeTcbSvn: body.teeTcbSvn,
      ...(body.teeTcbSvn2 ? { teeTcbSvn2: body.teeTcbSvn2 } : {}),
      fmspc: pck.fmspc,
      pceId: pck.pceId,
      pceSvn: pck.pceSvn,
      cpuSvn: pck.cpuSvn,
      qeIsvSvn: quote.qeReport.isvSvn,
      status: v.tcb?.status ?? 'Unknown',
      advisoryIds: v.tcb?.advisoryIds ?? [],
      ...(v.tcb ? { tcbDate: v.tcb.platform.tcbDate, tcbEvaluationDataNumber: v.tcb.tcbEvaluationDataNumber } : {}),
      ...(v.qeTcb ? { qeStatus: v.qeTcb.status } : {}),
      ...(v.tcb?.tdxModule ? { tdxModule: { id: v.tcb.tdxModule.id, status: v.tcb.tdxModule.status } } : {}),
    },
    details: {
      quoteVersion: quote.header.version,
      bodyType: body.bodyType,
      qeVendorId: quote.header.qeVendorId,
      mrTd: body.mrTd,
      rtmr0: body.rtmrs[0],
      rtmr1: body.rtmrs[1],
      rtmr2: body.rtmrs[2],
      rtmr3: body.rtmrs[3],
      mrSeam: body.mrSeam,
      mrSignerSeam: body.mrSignerSeam,
      seamAttributes: body.seamAttributes,
      tdAttributes: body.tdAttributes,
      septVeDisable: v.tdAttributes.septVeDisable,
      xfam: body.xfam,
      mrConfigId: body.mrConfigId,
      mrOwner: body.mrOwner,
      mrOwnerConfig: body.mrOwnerConfig,
      ...(body.mrServiceTd ? { mrServiceTd: body.mrServiceTd } : {}),
      qe: { mrSigner: quote.qeReport.mrSigner, isvProdId: quote.qeReport.isvProdId, isvSvn: quote.qeReport.isvSvn },
      attestationKeySha256: v.attestationKeySha256,
      pckCertificateSha256: v.pckCertificateSha256,
      collateralChecked: v.collateralChecked,
      ...(v.tcbInfo ? { tcbInfo: { issueDate: v.tcbInfo.issueDate, nextUpdate: v.tcbInfo.nextUpdate } } : {}),
      ...(v.qeIdentity ? { qeIdentity: { issueDate: v.qeIdentity.issueDate, nextUpdate: v.qeIdentity.nextUpdate } } : {}),
    },
  };
}
