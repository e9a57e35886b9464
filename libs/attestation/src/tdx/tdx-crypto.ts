import type { CryptoProvider, EcCurve } from '@confide/crypto';

/** SubjectPublicKeyInfo prefix for an uncompressed P-256 point (id-ecPublicKey, prime256v1, BIT STRING 66). */
const P256_SPKI_PREFIX = Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex');
/** The same for P-384 (id-ecPublicKey, secp384r1, BIT STRING 98). */
const P384_SPKI_PREFIX = Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex');

/** Wraps a raw 64-byte x‖y P-256 point (the TDX attestation key format) as DER SubjectPublicKeyInfo. */
export function p256RawToSpki(xy: Uint8Array): Uint8Array {
  return Buffer.concat([P256_SPKI_PREFIX, Buffer.from([0x04]), xy]);
}

/** The named curve of an EC SubjectPublicKeyInfo with an uncompressed point, or undefined for anything else. */
function curveOfSpki(spki: Uint8Array): EcCurve | undefined {
  const starts = (prefix: Buffer): boolean =>
    spki.length === prefix.length + 1 + (prefix === P256_SPKI_PREFIX ? 64 : 96) && Buffer.compare(prefix, spki.subarray(0, prefix.length)) === 0;
  if (starts(P256_SPKI_PREFIX)) return 'P-256';
  if (starts(P384_SPKI_PREFIX)) return 'P-384';
  return undefined;
}

/**
 * The TDX verifier's view of the shared CryptoProvider: ECDSA over Intel's P-256 keys (SHA-256/384) and SHA-256.
 * What repeats across quotes (chains, CRLs, collateral, QE reports) is remembered by the verifier, not here.
 */
export class TdxCrypto {
  constructor(readonly provider: CryptoProvider) {}

  sha256(data: Uint8Array): Promise<Uint8Array> {
    return this.provider.digest('SHA-256', data);
  }

  /** ECDSA verify; `spki` is a DER SubjectPublicKeyInfo (P-256 or P-384), `signature` raw r‖s (p1363) or DER. */
  async verifyEcdsa(
    spki: Uint8Array,
    hash: 'sha256' | 'sha384',
    data: Uint8Array,
    signature: Uint8Array,
    format: 'p1363' | 'der',
  ): Promise<boolean> {
    const curve = curveOfSpki(spki);
    if (!curve) return false;
    try {
      return await this.provider.verifyEcdsa({
        curve,
        hash: hash === 'sha256' ? 'SHA-256' : 'SHA-384',
        publicKey: { spki },
        signature,
        signatureFormat: format,
        data,
      });
    } catch {
      return false; // a key that does not import verifies nothing
    }
  }
}
