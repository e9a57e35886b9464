import { CERT_DATA_QE_REPORT } from './tdx-quote.js';

/** The byte parts of a TDX quote, as `parseTdxQuote` returns them (QE report as its raw 384 bytes). */
export interface TdxQuoteParts {
  readonly signedRegion: Uint8Array;
  readonly signature: Uint8Array;
  readonly attestationKey: Uint8Array;
  readonly qeReport: Uint8Array;
  readonly qeReportSignature: Uint8Array;
  readonly qeAuthData: Uint8Array;
  readonly pckCertDataType: number;
  readonly pckCertData: Uint8Array;
}

function u16(n: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n);
  return b;
}

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(n);
  return b;
}

/**
 * Inverse of `parseTdxQuote`: lays the parts out in the DCAP quote v4/v5 format (no trailing padding). Used to
 * build simulated evidence in the real byte format and to re-sign mutated quotes in tests.
 */
export function serializeTdxQuote(p: TdxQuoteParts): Uint8Array {
  const inner = Buffer.concat([u16(p.pckCertDataType), u32(p.pckCertData.length), p.pckCertData]);
  const certData = Buffer.concat([p.qeReport, p.qeReportSignature, u16(p.qeAuthData.length), p.qeAuthData, inner]);
  const sigData = Buffer.concat([p.signature, p.attestationKey, u16(CERT_DATA_QE_REPORT), u32(certData.length), certData]);
  return new Uint8Array(Buffer.concat([p.signedRegion, u32(sigData.length), sigData]));
}
