import type { EcCurve } from './crypto-provider.js';

/** Byte width of a scalar and the group order n of each curve we support. */
export const EC_CURVES: Readonly<Record<EcCurve, { readonly size: number; readonly order: bigint }>> = {
  'P-256': {
    size: 32,
    order: 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n,
  },
  'P-384': {
    size: 48,
    order:
      0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973n,
  },
};

function bytesToBigInt(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes) v = (v << 8n) | BigInt(b);
  return v;
}

function bigIntToFixed(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  for (let i = size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function inRange(v: bigint, order: bigint): boolean {
  return v > 0n && v < order;
}

/** Reads one DER length at `offset`; null unless it is the minimal (canonical) encoding. */
function readDerLength(buf: Uint8Array, offset: number): { length: number; next: number } | null {
  const first = buf[offset];
  if (first === undefined) return null;
  if (first < 0x80) return { length: first, next: offset + 1 };
  const count = first & 0x7f;
  if (count === 0 || count > 2 || offset + 1 + count > buf.length) return null;
  let length = 0;
  for (let i = 0; i < count; i++) length = (length << 8) | (buf[offset + 1 + i] ?? 0);
  if (length < 0x80 || (count === 2 && length < 0x100)) return null;
  return { length, next: offset + 1 + count };
}

function readDerPositiveInteger(buf: Uint8Array, offset: number): { value: bigint; next: number } | null {
  if (buf[offset] !== 0x02) return null;
  const len = readDerLength(buf, offset + 1);
  if (!len || len.length === 0 || len.next + len.length > buf.length) return null;
  const content = buf.subarray(len.next, len.next + len.length);
  const b0 = content[0] ?? 0;
  if (b0 & 0x80) return null; // negative
  if (b0 === 0 && content.length > 1 && ((content[1] ?? 0) & 0x80) === 0) return null; // non-minimal
  return { value: bytesToBigInt(content), next: len.next + len.length };
}

/**
 * Strict DER ECDSA-Sig-Value → IEEE P1363 r‖s. Returns null for anything that is not the one canonical DER
 * encoding of two integers in [1, n-1]: BER lengths, padding, negative numbers, trailing bytes.
 */
export function ecdsaDerToP1363(der: Uint8Array, curve: EcCurve): Uint8Array | null {
  const { size, order } = EC_CURVES[curve];
  if (der[0] !== 0x30) return null;
  const seq = readDerLength(der, 1);
  if (!seq || seq.next + seq.length !== der.length) return null;
  const r = readDerPositiveInteger(der, seq.next);
  if (!r) return null;
  const s = readDerPositiveInteger(der, r.next);
  if (!s || s.next !== der.length) return null;
  if (!inRange(r.value, order) || !inRange(s.value, order)) return null;
  const out = new Uint8Array(2 * size);
  out.set(bigIntToFixed(r.value, size), 0);
  out.set(bigIntToFixed(s.value, size), size);
  return out;
}

const ORDER_BYTES: Readonly<Record<EcCurve, Uint8Array>> = {
  'P-256': bigIntToFixed(EC_CURVES['P-256'].order, 32),
  'P-384': bigIntToFixed(EC_CURVES['P-384'].order, 48),
};

/** 0 < v < n for a fixed-width big-endian v (byte comparison; this runs on every verify). */
function fixedInRange(v: Uint8Array, order: Uint8Array): boolean {
  let nonZero = false;
  for (let i = 0; i < v.length; i++) {
    if (v[i] !== 0) {
      nonZero = true;
      break;
    }
  }
  if (!nonZero) return false;
  for (let i = 0; i < v.length; i++) {
    const a = v[i]!;
    const b = order[i]!;
    if (a !== b) return a < b;
  }
  return false; // v == n
}

/** Checks width and that r and s are in [1, n-1]; returns the signature unchanged or null. */
export function checkP1363(signature: Uint8Array, curve: EcCurve): Uint8Array | null {
  const { size } = EC_CURVES[curve];
  if (signature.length !== 2 * size) return null;
  const order = ORDER_BYTES[curve];
  return fixedInRange(signature.subarray(0, size), order) && fixedInRange(signature.subarray(size), order) ? signature : null;
}

/** Little-endian integer (as SEV-SNP stores r and s) → fixed-width big-endian; null if it does not fit. */
export function littleEndianToFixedBigEndian(le: Uint8Array, size: number): Uint8Array | null {
  for (let i = size; i < le.length; i++) if (le[i] !== 0) return null;
  const out = new Uint8Array(size);
  for (let i = 0; i < size; i++) out[size - 1 - i] = le[i] ?? 0;
  return out;
}

/** DER INTEGER of a big-endian unsigned magnitude: leading zeros dropped, one 0x00 added when the top bit is set. */
function derUnsigned(v: Uint8Array): Uint8Array {
  let i = 0;
  while (i < v.length - 1 && v[i] === 0) i++;
  const pad = (v[i]! & 0x80) !== 0 ? 1 : 0;
  const out = new Uint8Array(2 + pad + v.length - i);
  out[0] = 0x02;
  out[1] = pad + v.length - i;
  out.set(v.subarray(i), 2 + pad);
  return out;
}

/**
 * IEEE P1363 r‖s → the canonical DER ECDSA-Sig-Value (P-256/P-384 signatures always fit a short-form length).
 * The caller checks the P1363 form first (`checkP1363`).
 */
export function ecdsaP1363ToDer(signature: Uint8Array): Uint8Array {
  const half = signature.length / 2;
  const r = derUnsigned(signature.subarray(0, half));
  const s = derUnsigned(signature.subarray(half));
  const out = new Uint8Array(2 + r.length + s.length);
  out[0] = 0x30;
  out[1] = r.length + s.length;
  out.set(r, 2);
  out.set(s, 2 + r.length);
  return out;
}
