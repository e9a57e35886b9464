import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';

/**
 * The few crypto primitives the TDX verifier needs, kept behind one small seam so they can move onto the shared
 * crypto provider (libs/crypto) without touching the parsing and verification logic.
 */
export interface TdxCrypto {
  sha256(data: Uint8Array): Uint8Array;
  /** ECDSA verify; `spki` is a DER SubjectPublicKeyInfo, `signature` raw r‖s (p1363) or DER. */
  verifyEcdsa(
    spki: Uint8Array,
    hash: 'sha256' | 'sha384',
    data: Uint8Array,
    signature: Uint8Array,
    format: 'p1363' | 'der',
  ): boolean;
}

/** SubjectPublicKeyInfo prefix for an uncompressed P-256 point (id-ecPublicKey, prime256v1, BIT STRING 66). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');

/** Wraps a raw 64-byte x‖y P-256 point (the TDX attestation key format) as DER SubjectPublicKeyInfo. */
export function p256RawToSpki(xy: Uint8Array): Uint8Array {
  return Buffer.concat([P256_SPKI_PREFIX, Buffer.from([0x04]), xy]);
}

const KEY_CACHE_LIMIT = 512;

export class NodeTdxCrypto implements TdxCrypto {
  private readonly keys = new Map<string, KeyObject>();

  sha256(data: Uint8Array): Uint8Array {
    return createHash('sha256').update(data).digest();
  }

  verifyEcdsa(
    spki: Uint8Array,
    hash: 'sha256' | 'sha384',
    data: Uint8Array,
    signature: Uint8Array,
    format: 'p1363' | 'der',
  ): boolean {
    let key: KeyObject;
    try {
      key = this.publicKey(spki);
    } catch {
      return false;
    }
    try {
      return nodeVerify(hash, data, { key, dsaEncoding: format === 'p1363' ? 'ieee-p1363' : 'der' }, signature);
    } catch {
      return false;
    }
  }

  private publicKey(spki: Uint8Array): KeyObject {
    const id = Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength).toString('base64');
    let key = this.keys.get(id);
    if (!key) {
      key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
      if (this.keys.size >= KEY_CACHE_LIMIT) this.keys.clear();
      this.keys.set(id, key);
    }
    return key;
  }
}

const MEMO_LIMIT = 4096;

/**
 * Remembers signatures that verified (never failures), keyed by a digest of key, data and signature. Used for
 * certificates, CRLs, collateral and QE reports, which repeat across quotes from the same platform; the quote
 * signature itself is never memoised.
 */
export class MemoizingTdxCrypto implements TdxCrypto {
  private readonly verified = new Set<string>();

  constructor(private readonly inner: TdxCrypto) {}

  sha256(data: Uint8Array): Uint8Array {
    return this.inner.sha256(data);
  }

  verifyEcdsa(
    spki: Uint8Array,
    hash: 'sha256' | 'sha384',
    data: Uint8Array,
    signature: Uint8Array,
    format: 'p1363' | 'der',
  ): boolean {
    const id = Buffer.from(
      this.inner.sha256(Buffer.concat([spki, Buffer.from(`|${hash}|${format}|${signature.length}|`), signature, data])),
    ).toString('base64');
    if (this.verified.has(id)) return true;
    const ok = this.inner.verifyEcdsa(spki, hash, data, signature, format);
    if (ok) {
      if (this.verified.size >= MEMO_LIMIT) this.verified.clear();
      this.verified.add(id);
    }
    return ok;
  }
}
