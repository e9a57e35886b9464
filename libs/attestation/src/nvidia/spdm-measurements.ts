import { toHex } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';

/** SPDM 1.1 GET_MEASUREMENTS request as NVIDIA GPUs take it: version, code, param1 (sign), param2 (all), nonce, slot. */
export const SPDM_REQUEST_LENGTH = 37;
export const SPDM_SIGNATURE_LENGTH = 96;
const SPDM_VERSION_1_1 = 0x11;
const GET_MEASUREMENTS = 0xe0;
const MEASUREMENTS = 0x60;

/** NVIDIA opaque-data TLV types (nvtrust local_gpu_verifier `OpaqueDataParser`). */
export const NVIDIA_OPAQUE_TYPE = {
  driverVersion: 3,
  gpuInfo: 4,
  vbiosVersion: 6,
  nvdec0Status: 11,
  measurementCount: 12,
  cprInfo: 13,
  boardId: 14,
  chipSku: 15,
  chipSkuMod: 16,
  project: 17,
  projectSku: 18,
  projectSkuMod: 19,
  fwid: 20,
  protectedPcieStatus: 21,
} as const;

export interface SpdmMeasurementBlock {
  readonly index: number;
  readonly specification: number;
  /** DMTF measurement value type (bit 7: raw bit stream vs digest). */
  readonly valueType: number;
  /** Hex of the measurement value (a SHA-384 digest on H100). */
  readonly value: string;
}

export interface NvidiaOpaqueData {
  readonly driverVersion?: string;
  /** e.g. "96.00.9f.00.01". */
  readonly vbiosVersion?: string;
  readonly fwid?: string;
  readonly boardId?: string;
  readonly chipSku?: string;
  readonly chipSkuMod?: string;
  readonly project?: string;
  readonly projectSku?: string;
  readonly projectSkuMod?: string;
  readonly gpuInfo?: string;
  readonly cprInfo?: string;
  readonly nvdec0Status?: string;
  readonly protectedPcieStatus?: string;
  /** Per-index measurement counts (u32 list) from type 12. */
  readonly measurementCount?: readonly number[];
  /** Every TLV as hex by type, including ones this parser does not name (e.g. 34 and 36 on newer drivers). */
  readonly raw: Readonly<Record<number, string>>;
}

/** An NVIDIA GPU SPDM measurement report (request + signed response). */
export interface SpdmMeasurementReport {
  /** The requester's nonce (32 bytes, hex): what binds the evidence to a challenge. */
  readonly nonce: string;
  readonly slotId: number;
  readonly responderNonce: string;
  readonly measurementRecordLength: number;
  readonly blocks: readonly SpdmMeasurementBlock[];
  readonly opaque: NvidiaOpaqueData;
  /** Raw r‖s (big-endian), ECDSA P-384. */
  readonly signature: Uint8Array;
  /** Request ‖ response up to the signature: the bytes that are signed. */
  readonly signedBytes: Uint8Array;
  /** Bytes after the signature (the CoCo CI capture has one); never signed, never used. */
  readonly trailingBytes: number;
}

function malformed(message: string, target: string): AttestationError {
  return new AttestationError('evidence_malformed', message, target);
}

const cString = (v: Uint8Array): string => {
  const end = v.indexOf(0);
  return Buffer.from(end === -1 ? v : v.subarray(0, end)).toString('latin1');
};

function vbiosVersion(v: Uint8Array): string {
  // Stored as a little-endian u32 plus one OEM byte: 00 9f 00 96 01 → 96.00.9f.00.01.
  const parts = [v[3], v[2], v[1], v[0], v[4]].map((b) => (b ?? 0).toString(16).padStart(2, '0'));
  return parts.join('.');
}

function parseOpaque(data: Uint8Array): NvidiaOpaqueData {
  const raw: Record<number, string> = {};
  const named: Record<string, unknown> = {};
  let p = 0;
  while (p < data.length) {
    if (p + 4 > data.length) throw malformed('SPDM opaque data TLV is truncated', 'opaque');
    const type = (data[p] ?? 0) | ((data[p + 1] ?? 0) << 8);
    const len = (data[p + 2] ?? 0) | ((data[p + 3] ?? 0) << 8);
    const value = data.subarray(p + 4, p + 4 + len);
    if (value.length !== len) throw malformed('SPDM opaque data TLV is truncated', 'opaque');
    if (raw[type] !== undefined) throw malformed('SPDM opaque data repeats a TLV type', 'opaque');
    raw[type] = toHex(value);
    p += 4 + len;
    switch (type) {
      case NVIDIA_OPAQUE_TYPE.driverVersion:
        named.driverVersion = cString(value);
        break;
      case NVIDIA_OPAQUE_TYPE.vbiosVersion:
        named.vbiosVersion = vbiosVersion(value);
        break;
      case NVIDIA_OPAQUE_TYPE.fwid:
        named.fwid = toHex(value);
        break;
      case NVIDIA_OPAQUE_TYPE.boardId:
        named.boardId = toHex(value);
        break;
      case NVIDIA_OPAQUE_TYPE.gpuInfo:
        named.gpuInfo = toHex(value);
        break;
      case NVIDIA_OPAQUE_TYPE.cprInfo:
        named.cprInfo = toHex(value);
        break;
      case NVIDIA_OPAQUE_TYPE.chipSku:
        named.chipSku = cString(value);
        break;
      case NVIDIA_OPAQUE_TYPE.chipSkuMod:
        named.chipSkuMod = cString(value);
        break;
      case NVIDIA_OPAQUE_TYPE.project:
        named.project = cString(value);
        break;
      case NVIDIA_OPAQUE_TYPE.projectSku:
        named.projectSku = cString(value);
        break;
      case NVIDIA_OPAQUE_TYPE.projectSkuMod:
        named.projectSkuMod = toHex(value);
        break;
      case NVIDIA_OPAQUE_TYPE.nvdec0Status:
        named.nvdec0Status = cString(value);
        break;
      case NVIDIA_OPAQUE_TYPE.protectedPcieStatus:
        named.protectedPcieStatus = cString(value);
        break;
      case NVIDIA_OPAQUE_TYPE.measurementCount: {
        const counts: number[] = [];
        for (let i = 0; i + 4 <= value.length; i += 4) {
          counts.push(new DataView(value.buffer, value.byteOffset + i, 4).getUint32(0, true));
        }
        named.measurementCount = counts;
        break;
      }
      default:
        break;
    }
  }
  return { ...(named as Omit<NvidiaOpaqueData, 'raw'>), raw };
}

/** Parses request ‖ GET_MEASUREMENTS response ‖ signature. Strict about structure; tolerates trailing bytes. */
export function parseSpdmMeasurementReport(bytes: Uint8Array): SpdmMeasurementReport {
  if (bytes.length < SPDM_REQUEST_LENGTH + 8 + 32 + 2 + SPDM_SIGNATURE_LENGTH) {
    throw malformed('SPDM evidence is too short', 'length');
  }
  if (bytes[0] !== SPDM_VERSION_1_1 || bytes[1] !== GET_MEASUREMENTS) {
    throw new AttestationError('evidence_unsupported_version', 'not an SPDM 1.1 GET_MEASUREMENTS request', 'request');
  }
  if (((bytes[2] ?? 0) & 1) !== 1) throw malformed('SPDM request did not ask for a signature', 'request.param1');
  const r = SPDM_REQUEST_LENGTH;
  if (bytes[r] !== SPDM_VERSION_1_1 || bytes[r + 1] !== MEASUREMENTS) {
    throw new AttestationError('evidence_unsupported_version', 'not an SPDM 1.1 MEASUREMENTS response', 'response');
  }
  const numberOfBlocks = bytes[r + 4] ?? 0;
  const recordLength = (bytes[r + 5] ?? 0) | ((bytes[r + 6] ?? 0) << 8) | ((bytes[r + 7] ?? 0) << 16);
  let o = r + 8;
  const recordEnd = o + recordLength;
  if (recordEnd + 32 + 2 > bytes.length) throw malformed('SPDM measurement record is truncated', 'measurementRecord');

  const blocks: SpdmMeasurementBlock[] = [];
  while (o < recordEnd) {
    if (o + 7 > recordEnd) throw malformed('SPDM measurement block is truncated', 'measurementRecord');
    const index = bytes[o] ?? 0;
    const specification = bytes[o + 1] ?? 0;
    const size = (bytes[o + 2] ?? 0) | ((bytes[o + 3] ?? 0) << 8);
    const valueType = bytes[o + 4] ?? 0;
    const valueSize = (bytes[o + 5] ?? 0) | ((bytes[o + 6] ?? 0) << 8);
    if (size !== valueSize + 3 || o + 4 + size > recordEnd) {
      throw malformed('SPDM measurement block sizes are inconsistent', `measurement[${index}]`);
    }
    if (blocks.some((b) => b.index === index)) throw malformed('SPDM measurement index repeats', `measurement[${index}]`);
    blocks.push({ index, specification, valueType, value: toHex(bytes.subarray(o + 7, o + 7 + valueSize)) });
    o += 4 + size;
  }
  if (blocks.length !== numberOfBlocks) throw malformed('SPDM block count differs from the header', 'numberOfBlocks');

  const responderNonce = toHex(bytes.subarray(o, o + 32));
  o += 32;
  const opaqueLength = (bytes[o] ?? 0) | ((bytes[o + 1] ?? 0) << 8);
  o += 2;
  const opaqueEnd = o + opaqueLength;
  if (opaqueEnd + SPDM_SIGNATURE_LENGTH > bytes.length) throw malformed('SPDM opaque data or signature is truncated', 'opaque');
  const opaque = parseOpaque(bytes.subarray(o, opaqueEnd));
  return {
    nonce: toHex(bytes.subarray(4, 36)),
    slotId: bytes[36] ?? 0,
    responderNonce,
    measurementRecordLength: recordLength,
    blocks,
    opaque,
    signature: bytes.slice(opaqueEnd, opaqueEnd + SPDM_SIGNATURE_LENGTH),
    signedBytes: bytes.subarray(0, opaqueEnd),
    trailingBytes: bytes.length - opaqueEnd - SPDM_SIGNATURE_LENGTH,
  };
}
