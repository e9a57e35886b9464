import { AttestationError } from '../attestation.error.js';
import { toHex } from '@confide/crypto';

/** TEE type of a TDX quote header (0x00 would be SGX). */
export const TDX_TEE_TYPE = 0x81;
/** Attestation key type 2 = ECDSA P-256 with SHA-256. */
export const TDX_ATT_KEY_TYPE_ECDSA_P256 = 2;
/** Certification data types (Intel DCAP quote library API, appendix). */
export const CERT_DATA_PCK_CHAIN = 5;
export const CERT_DATA_QE_REPORT = 6;

const HEADER_SIZE = 48;
const TD_REPORT_10_SIZE = 584;
const TD_REPORT_15_SIZE = 648;
const QE_REPORT_SIZE = 384;

export interface TdxQuoteHeader {
  readonly version: 4 | 5;
  readonly attestationKeyType: number;
  readonly teeType: number;
  readonly qeVendorId: string;
  readonly userData: string;
}

/** TD quote body (TDREPORT claims). Hex strings, as they appear in the quote (no byte swapping). */
export interface TdReportBody {
  /** 'tdx10' = TD report 1.0 (584 bytes), 'tdx15' = TD report 1.5 (648 bytes, v5 body type 3). */
  readonly bodyType: 'tdx10' | 'tdx15';
  readonly teeTcbSvn: string;
  readonly mrSeam: string;
  readonly mrSignerSeam: string;
  readonly seamAttributes: string;
  readonly tdAttributes: string;
  readonly xfam: string;
  readonly mrTd: string;
  readonly mrConfigId: string;
  readonly mrOwner: string;
  readonly mrOwnerConfig: string;
  readonly rtmrs: readonly [string, string, string, string];
  readonly reportData: string;
  /** TDX 1.5 only. */
  readonly teeTcbSvn2?: string;
  readonly mrServiceTd?: string;
}

export interface TdAttributes {
  /** TUD.DEBUG (bit 0): the TD runs in debug mode and its memory is readable by the host. */
  readonly debug: boolean;
  /** SEPT_VE_DISABLE (bit 28). */
  readonly septVeDisable: boolean;
}

/** The QE's SGX REPORT body (384 bytes) certifying the attestation key. */
export interface QeReport {
  readonly raw: Uint8Array;
  readonly cpuSvn: string;
  readonly miscSelect: number;
  readonly attributes: string;
  readonly mrEnclave: string;
  readonly mrSigner: string;
  readonly isvProdId: number;
  readonly isvSvn: number;
  readonly reportData: Uint8Array;
}

export interface TdxQuote {
  readonly header: TdxQuoteHeader;
  readonly body: TdReportBody;
  /** Header + body bytes covered by the quote signature. */
  readonly signedRegion: Uint8Array;
  /** Raw r‖s. */
  readonly signature: Uint8Array;
  /** Raw x‖y P-256 attestation key. */
  readonly attestationKey: Uint8Array;
  readonly qeReport: QeReport;
  /** Raw r‖s by the PCK key over the QE report. */
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  /** Inner certification data type (5 = PEM PCK chain). */
  readonly pckCertDataType: number;
  readonly pckCertData: Uint8Array;
  /** Bytes after the signature data (real quote buffers often carry padding). */
  readonly trailingBytes: number;
}

function malformed(message: string, target: string): AttestationError {
  return new AttestationError('evidence_malformed', message, target);
}

class Reader {
  constructor(
    private readonly bytes: Uint8Array,
    private readonly view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  ) {}
  need(offset: number, length: number, what: string): void {
    if (offset < 0 || length < 0 || offset + length > this.bytes.length) throw malformed('TDX quote is truncated', what);
  }
  u16(offset: number, what: string): number {
    this.need(offset, 2, what);
    return this.view.getUint16(offset, true);
  }
  u32(offset: number, what: string): number {
    this.need(offset, 4, what);
    return this.view.getUint32(offset, true);
  }
  bytesAt(offset: number, length: number, what: string): Uint8Array {
    this.need(offset, length, what);
    return this.bytes.subarray(offset, offset + length);
  }
  hex(offset: number, length: number, what: string): string {
    return toHex(this.bytesAt(offset, length, what));
  }
}

/** Hex of the fields of a region, converted once (field values are slices of one string). */
function hexFields(r: Reader, at: number, size: number, what: string): (off: number, len: number) => string {
  const all = r.hex(at, size, what);
  return (off, len) => all.slice(2 * off, 2 * (off + len));
}

function parseBody(r: Reader, at: number, bodyType: 'tdx10' | 'tdx15'): TdReportBody {
  const h = hexFields(r, at, bodyType === 'tdx10' ? TD_REPORT_10_SIZE : TD_REPORT_15_SIZE, 'body');
  const base = {
    bodyType,
    teeTcbSvn: h(0x000, 16),
    mrSeam: h(0x010, 48),
    mrSignerSeam: h(0x040, 48),
    seamAttributes: h(0x070, 8),
    tdAttributes: h(0x078, 8),
    xfam: h(0x080, 8),
    mrTd: h(0x088, 48),
    mrConfigId: h(0x0b8, 48),
    mrOwner: h(0x0e8, 48),
    mrOwnerConfig: h(0x118, 48),
    rtmrs: [h(0x148, 48), h(0x178, 48), h(0x1a8, 48), h(0x1d8, 48)] as const,
    reportData: h(0x208, 64),
  };
  if (bodyType === 'tdx10') return base;
  return { ...base, teeTcbSvn2: h(0x248, 16), mrServiceTd: h(0x258, 48) };
}

function parseQeReport(raw: Uint8Array): QeReport {
  const r = new Reader(raw);
  const h = hexFields(r, 0, 192, 'qeReport');
  return {
    raw,
    cpuSvn: h(0, 16),
    miscSelect: r.u32(16, 'qeReport.miscSelect'),
    attributes: h(48, 16),
    mrEnclave: h(64, 32),
    mrSigner: h(128, 32),
    isvProdId: r.u16(256, 'qeReport.isvProdId'),
    isvSvn: r.u16(258, 'qeReport.isvSvn'),
    reportData: r.bytesAt(320, 64, 'qeReport.reportData'),
  };
}

/**
 * Parses an Intel TDX DCAP quote, version 4 or 5 (TD report 1.0 or 1.5), with ECDSA-P256 signature data whose
 * certification data is a QE report (type 6) carrying the PCK certification data. Lengths come from the length
 * fields, never from the buffer size, so trailing padding is tolerated and counted.
 */
export function parseTdxQuote(quote: Uint8Array): TdxQuote {
  const r = new Reader(quote);
  const version = r.u16(0, 'header.version');
  if (version !== 4 && version !== 5) {
    throw new AttestationError('evidence_unsupported_version', 'unsupported TDX quote version', 'header.version', String(version));
  }
  const attestationKeyType = r.u16(2, 'header.attestationKeyType');
  if (attestationKeyType !== TDX_ATT_KEY_TYPE_ECDSA_P256) {
    throw new AttestationError('evidence_unsupported_version', 'unsupported attestation key type', 'header.attestationKeyType');
  }
  const teeType = r.u32(4, 'header.teeType');
  if (teeType !== TDX_TEE_TYPE) throw malformed('quote is not a TDX quote', 'header.teeType');
  const header: TdxQuoteHeader = {
    version,
    attestationKeyType,
    teeType,
    qeVendorId: r.hex(12, 16, 'header.qeVendorId'),
    userData: r.hex(28, 20, 'header.userData'),
  };

  let bodyAt = HEADER_SIZE;
  let bodyType: 'tdx10' | 'tdx15' = 'tdx10';
  let bodySize = TD_REPORT_10_SIZE;
  if (version === 5) {
    const type = r.u16(HEADER_SIZE, 'body.type');
    bodySize = r.u32(HEADER_SIZE + 2, 'body.size');
    bodyAt = HEADER_SIZE + 6;
    if (type === 2 && bodySize === TD_REPORT_10_SIZE) bodyType = 'tdx10';
    else if (type === 3 && bodySize === TD_REPORT_15_SIZE) bodyType = 'tdx15';
    else throw new AttestationError('evidence_unsupported_version', 'unsupported TDX quote body type', 'body.type', `${type}/${bodySize}`);
  }
  const body = parseBody(r, bodyAt, bodyType);
  const signedEnd = bodyAt + bodySize;
  const sigDataLen = r.u32(signedEnd, 'signatureData.length');
  const sigAt = signedEnd + 4;
  r.need(sigAt, sigDataLen, 'signatureData');
  const sigEnd = sigAt + sigDataLen;
  const s = new Reader(quote.subarray(0, sigEnd));

  const signature = s.bytesAt(sigAt, 64, 'signatureData.signature');
  const attestationKey = s.bytesAt(sigAt + 64, 64, 'signatureData.attestationKey');
  const certType = s.u16(sigAt + 128, 'certificationData.type');
  const certSize = s.u32(sigAt + 130, 'certificationData.size');
  const certAt = sigAt + 134;
  s.need(certAt, certSize, 'certificationData');
  if (certType !== CERT_DATA_QE_REPORT) {
    throw new AttestationError('evidence_unsupported_version', 'unsupported certification data type', 'certificationData.type', String(certType));
  }
  const c = new Reader(quote.subarray(0, certAt + certSize));
  const qeReport = parseQeReport(c.bytesAt(certAt, QE_REPORT_SIZE, 'qeReport'));
  const qeReportSignature = c.bytesAt(certAt + QE_REPORT_SIZE, 64, 'qeReportSignature');
  const authAt = certAt + QE_REPORT_SIZE + 64;
  const authLen = c.u16(authAt, 'qeAuthData.length');
  const qeAuthData = c.bytesAt(authAt + 2, authLen, 'qeAuthData');
  const innerAt = authAt + 2 + authLen;
  const pckCertDataType = c.u16(innerAt, 'pckCertData.type');
  const innerSize = c.u32(innerAt + 2, 'pckCertData.size');
  const pckCertData = c.bytesAt(innerAt + 6, innerSize, 'pckCertData');

  return {
    header,
    body,
    signedRegion: quote.subarray(0, signedEnd),
    signature,
    attestationKey,
    qeReport,
    qeReportSignature,
    qeAuthData,
    pckCertDataType,
    pckCertData,
    trailingBytes: quote.length - sigEnd,
  };
}

export function tdAttributesOf(body: TdReportBody): TdAttributes {
  const bytes = Buffer.from(body.tdAttributes, 'hex');
  return { debug: (bytes[0]! & 0x01) !== 0, septVeDisable: (bytes[3]! & 0x10) !== 0 };
}
