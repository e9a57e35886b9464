import { toHex } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';

/** Layout: AMD SEV-SNP ABI spec, ATTESTATION_REPORT (0x4A0 bytes, little-endian). */
export const SNP_REPORT_SIZE = 0x4a0;
/** The signature covers bytes [0, 0x2A0). */
export const SNP_SIGNED_LENGTH = 0x2a0;
export const SNP_MIN_VERSION = 2;
export const SNP_MAX_VERSION = 5;

export type SnpProduct = 'Milan' | 'Genoa' | 'Turin';
export const SNP_PRODUCTS: readonly SnpProduct[] = ['Milan', 'Genoa', 'Turin'];

/** TCB_VERSION. The byte layout depends on the product: Turin adds an FMC SPL and moves the others. */
export interface SnpTcbVersion {
  /** The 8 raw bytes, hex, as stored (little-endian u64). */
  readonly raw: string;
  readonly bootloader: number;
  readonly tee: number;
  readonly snp: number;
  readonly microcode: number;
  /** Turin only. */
  readonly fmc?: number;
}

export interface SnpGuestPolicy {
  readonly raw: string;
  readonly abiMinor: number;
  readonly abiMajor: number;
  readonly smtAllowed: boolean;
  readonly migrateMa: boolean;
  readonly debug: boolean;
  readonly singleSocket: boolean;
  readonly cxlAllowed: boolean;
  readonly memAes256Xts: boolean;
  readonly raplDisabled: boolean;
  readonly ciphertextHiding: boolean;
  readonly pageSwapDisabled: boolean;
}

export interface SnpPlatformInfo {
  readonly raw: string;
  readonly smtEnabled: boolean;
  readonly tsmeEnabled: boolean;
  readonly eccEnabled: boolean;
  readonly raplDisabled: boolean;
  readonly ciphertextHidingEnabled: boolean;
  readonly aliasCheckComplete: boolean;
  readonly tioEnabled: boolean;
}

export type SnpSigningKey = 'vcek' | 'vlek' | 'none';

export interface SnpSignerInfo {
  readonly raw: number;
  readonly authorKeyEnabled: boolean;
  readonly chipKeyMasked: boolean;
  readonly signingKey: SnpSigningKey;
}

export interface SnpFirmwareVersion {
  readonly major: number;
  readonly minor: number;
  readonly build: number;
}

/** Every field of an SEV-SNP attestation report; byte fields as lower-case hex. */
export interface SnpAttestationReport {
  readonly version: number;
  readonly guestSvn: number;
  readonly policy: SnpGuestPolicy;
  readonly familyId: string;
  readonly imageId: string;
  readonly vmpl: number;
  readonly signatureAlgorithm: number;
  readonly currentTcb: SnpTcbVersion;
  readonly platformInfo: SnpPlatformInfo;
  readonly signerInfo: SnpSignerInfo;
  readonly reportData: string;
  readonly measurement: string;
  readonly hostData: string;
  readonly idKeyDigest: string;
  readonly authorKeyDigest: string;
  readonly reportId: string;
  readonly reportIdMa: string;
  readonly reportedTcb: SnpTcbVersion;
  /** v3+: CPUID family/model/stepping of the chip that made the report. */
  readonly cpuid?: { readonly family: number; readonly model: number; readonly stepping: number };
  readonly chipId: string;
  readonly committedTcb: SnpTcbVersion;
  readonly currentFirmware: SnpFirmwareVersion;
  readonly committedFirmware: SnpFirmwareVersion;
  readonly launchTcb: SnpTcbVersion;
  /** v5+ mitigation vectors (u64, hex of the raw little-endian bytes). */
  readonly launchMitigationVector?: string;
  readonly currentMitigationVector?: string;
  /** Product from CPUID (v3+); undefined for v2 reports, where the VCEK tells. */
  readonly product?: SnpProduct;
  /** Big-endian r and s (48 bytes each) converted from the report's 72-byte little-endian fields. */
  readonly signature: { readonly r: Uint8Array; readonly s: Uint8Array };
  /** The exact bytes the signature covers. */
  readonly signedBytes: Uint8Array;
}

function malformed(message: string, target: string): AttestationError {
  return new AttestationError('evidence_malformed', message, target);
}

function isZero(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== 0) return false;
  return true;
}

/** Product from CPUID family/model (AMD: family 19h models 0x–0Fh Milan, 10h–1Fh and A0h–AFh Genoa; 1Ah Turin). */
export function productFromCpuid(family: number, model: number): SnpProduct | undefined {
  if (family === 0x19 && model <= 0x0f) return 'Milan';
  if (family === 0x19 && ((model >= 0x10 && model <= 0x1f) || (model >= 0xa0 && model <= 0xaf))) return 'Genoa';
  if (family === 0x1a && model <= 0x11) return 'Turin';
  return undefined;
}

/** Decodes TCB_VERSION bytes for a product (Milan/Genoa: [bl, tee, 0,0,0,0, snp, ucode]; Turin: [fmc, bl, tee, snp, 0,0,0, ucode]). */
export function decodeTcbVersion(bytes: Uint8Array, product: SnpProduct | undefined): SnpTcbVersion {
  const b = (i: number): number => bytes[i] ?? 0;
  if (product === 'Turin') {
    return { raw: toHex(bytes), fmc: b(0), bootloader: b(1), tee: b(2), snp: b(3), microcode: b(7) };
  }
  return { raw: toHex(bytes), bootloader: b(0), tee: b(1), snp: b(6), microcode: b(7) };
}

function decodePolicy(v: bigint): SnpGuestPolicy {
  const bit = (n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
  return {
    raw: `0x${v.toString(16).padStart(16, '0')}`,
    abiMinor: Number(v & 0xffn),
    abiMajor: Number((v >> 8n) & 0xffn),
    smtAllowed: bit(16),
    migrateMa: bit(18),
    debug: bit(19),
    singleSocket: bit(20),
    cxlAllowed: bit(21),
    memAes256Xts: bit(22),
    raplDisabled: bit(23),
    ciphertextHiding: bit(24),
    pageSwapDisabled: bit(25),
  };
}

function decodePlatformInfo(v: bigint): SnpPlatformInfo {
  const bit = (n: number): boolean => ((v >> BigInt(n)) & 1n) === 1n;
  return {
    raw: `0x${v.toString(16).padStart(16, '0')}`,
    smtEnabled: bit(0),
    tsmeEnabled: bit(1),
    eccEnabled: bit(2),
    raplDisabled: bit(3),
    ciphertextHidingEnabled: bit(4),
    aliasCheckComplete: bit(5),
    tioEnabled: bit(7),
  };
}

function decodeSignerInfo(v: number): SnpSignerInfo {
  const key = (v >> 2) & 0x7;
  const signingKey: SnpSigningKey | undefined = key === 0 ? 'vcek' : key === 1 ? 'vlek' : key === 7 ? 'none' : undefined;
  if (!signingKey || v >>> 5 !== 0) throw malformed('SNP report signer info has reserved bits set', 'signerInfo');
  return { raw: v, authorKeyEnabled: (v & 1) === 1, chipKeyMasked: (v & 2) === 2, signingKey };
}

/**
 * Parses a raw SEV-SNP attestation report (v2–v5). Strict: exact size, known version and signature algorithm,
 * reserved regions zero (as go-sev-guest enforces), r/s within 48 bytes.
 */
export function parseSnpReport(bytes: Uint8Array): SnpAttestationReport {
  if (bytes.length !== SNP_REPORT_SIZE) throw malformed('SNP report must be 1184 bytes', 'length');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u32 = (o: number): number => view.getUint32(o, true);
  const u64 = (o: number): bigint => view.getBigUint64(o, true);
  const allHex = toHex(bytes); // once: each field is a slice of it
  const hex = (o: number, n: number): string => allHex.slice(2 * o, 2 * (o + n));
  const region = (o: number, n: number): Uint8Array => bytes.subarray(o, o + n);

  const version = u32(0x000);
  if (version < SNP_MIN_VERSION || version > SNP_MAX_VERSION) {
    throw new AttestationError('evidence_unsupported_version', 'unsupported SNP report version', 'version', String(version));
  }
  const signatureAlgorithm = u32(0x034);
  if (signatureAlgorithm !== 1) {
    throw new AttestationError('evidence_unsupported_version', 'unsupported SNP signature algorithm', 'signatureAlgorithm');
  }
  const policyRaw = u64(0x008);
  if (((policyRaw >> 17n) & 1n) !== 1n) throw malformed('SNP guest policy bit 17 must be set', 'policy');
  const platformRaw = u64(0x040);
  if (platformRaw >> 8n !== 0n) throw malformed('SNP platform info has reserved bits set', 'platformInfo');

  const reserved: [number, number, string][] = [
    [0x04c, 4, 'reserved0'],
    [version >= 3 ? 0x18b : 0x188, version >= 3 ? 0x15 : 0x18, 'reserved1'],
    [0x1eb, 1, 'reserved2'],
    [0x1ef, 1, 'reserved3'],
    [version >= 5 ? 0x208 : 0x1f8, version >= 5 ? 0x98 : 0xa8, 'reserved4'],
    [0x2a0 + 144, SNP_REPORT_SIZE - 0x2a0 - 144, 'signature.reserved'],
  ];
  for (const [offset, length, name] of reserved) {
    if (!isZero(region(offset, length))) throw malformed('SNP report reserved field is not zero', name);
  }

  const cpuid =
    version >= 3 ? { family: bytes[0x188] ?? 0, model: bytes[0x189] ?? 0, stepping: bytes[0x18a] ?? 0 } : undefined;
  const product = cpuid ? productFromCpuid(cpuid.family, cpuid.model) : undefined;
  const tcb = (o: number): SnpTcbVersion => decodeTcbVersion(region(o, 8), product);

  const leToBe = (o: number): Uint8Array => {
    const le = region(o, 72);
    if (!isZero(le.subarray(48))) throw malformed('SNP signature component exceeds 48 bytes', 'signature');
    return Uint8Array.from(le.subarray(0, 48)).reverse();
  };

  return {
    version,
    guestSvn: u32(0x004),
    policy: decodePolicy(policyRaw),
    familyId: hex(0x010, 16),
    imageId: hex(0x020, 16),
    vmpl: u32(0x030),
    signatureAlgorithm,
    currentTcb: tcb(0x038),
    platformInfo: decodePlatformInfo(platformRaw),
    signerInfo: decodeSignerInfo(u32(0x048)),
    reportData: hex(0x050, 64),
    measurement: hex(0x090, 48),
    hostData: hex(0x0c0, 32),
    idKeyDigest: hex(0x0e0, 48),
    authorKeyDigest: hex(0x110, 48),
    reportId: hex(0x140, 32),
    reportIdMa: hex(0x160, 32),
    reportedTcb: tcb(0x180),
    ...(cpuid ? { cpuid } : {}),
    chipId: hex(0x1a0, 64),
    committedTcb: tcb(0x1e0),
    currentFirmware: { build: bytes[0x1e8] ?? 0, minor: bytes[0x1e9] ?? 0, major: bytes[0x1ea] ?? 0 },
    committedFirmware: { build: bytes[0x1ec] ?? 0, minor: bytes[0x1ed] ?? 0, major: bytes[0x1ee] ?? 0 },
    launchTcb: tcb(0x1f0),
    ...(version >= 5 ? { launchMitigationVector: hex(0x1f8, 8), currentMitigationVector: hex(0x200, 8) } : {}),
    ...(product ? { product } : {}),
    signature: { r: leToBe(0x2a0), s: leToBe(0x2e8) },
    signedBytes: region(0, SNP_SIGNED_LENGTH),
  };
}

/** Re-decodes the TCB fields once the product is known from the VCEK (v2 reports carry no CPUID). */
export function withProduct(report: SnpAttestationReport, product: SnpProduct, raw: Uint8Array): SnpAttestationReport {
  const tcb = (o: number): SnpTcbVersion => decodeTcbVersion(raw.subarray(o, o + 8), product);
  return {
    ...report,
    product,
    currentTcb: tcb(0x038),
    reportedTcb: tcb(0x180),
    committedTcb: tcb(0x1e0),
    launchTcb: tcb(0x1f0),
  };
}
