/**
 * The one seam through which confide does cryptography. The default implementation is WebCrypto
 * (`@peculiar/webcrypto`); an HSM-backed provider (for example a PKCS#11 WebCrypto such as node-webcrypto-p11)
 * can replace it. Private and secret keys are opaque `CryptoKey` handles so that they can live in hardware;
 * public keys are plain bytes or JWKs because they arrive from evidence and certificates.
 */
export type EcCurve = 'P-256' | 'P-384';
export type HashAlgorithm = 'SHA-256' | 'SHA-384' | 'SHA-512';
/** `der`: ASN.1 ECDSA-Sig-Value (X.509, most vendors); `p1363`: fixed-width big-endian r‖s (JOSE, WebCrypto). */
export type EcdsaSignatureFormat = 'der' | 'p1363';

/** An EC public key as SubjectPublicKeyInfo DER, as an uncompressed SEC1 point (0x04‖x‖y), or as a JWK. */
export type EcPublicKeyInput =
  | { readonly spki: Uint8Array }
  | { readonly point: Uint8Array }
  | { readonly jwk: JsonWebKey };

export interface EcdsaVerifyRequest {
  readonly curve: EcCurve;
  readonly hash: HashAlgorithm;
  readonly publicKey: EcPublicKeyInput;
  readonly signature: Uint8Array;
  readonly signatureFormat: EcdsaSignatureFormat;
  readonly data: Uint8Array;
}

export interface RsaPssVerifyRequest {
  readonly hash: HashAlgorithm;
  /** Salt length in bytes (AMD SEV certificates use 48 with SHA-384). MGF1 uses the same hash. */
  readonly saltLength: number;
  /** RSA public key as SubjectPublicKeyInfo DER (rsaEncryption or id-RSASSA-PSS). */
  readonly publicKeySpki: Uint8Array;
  readonly signature: Uint8Array;
  readonly data: Uint8Array;
}

export interface AesGcmRequest {
  /** A raw 16/24/32-byte key or a provider key handle. */
  readonly key: Uint8Array | CryptoKey;
  readonly iv: Uint8Array;
  readonly additionalData?: Uint8Array;
  /** Tag length in bits; 128 unless a format says otherwise. */
  readonly tagLength?: number;
}

export interface HkdfRequest {
  readonly hash: HashAlgorithm;
  readonly ikm: Uint8Array;
  readonly salt: Uint8Array;
  readonly info: Uint8Array;
  /** Output length in bytes; at most 255 × the hash length (RFC 5869). */
  readonly length: number;
}

export interface CryptoProvider {
  digest(hash: HashAlgorithm, data: Uint8Array): Promise<Uint8Array>;
  randomBytes(length: number): Uint8Array;

  /** False for any signature that does not verify, including malformed encodings. Throws `key_invalid` on a bad key. */
  verifyEcdsa(request: EcdsaVerifyRequest): Promise<boolean>;
  /** False for any signature that does not verify. Throws `key_invalid` on a bad key. */
  verifyRsaPss(request: RsaPssVerifyRequest): Promise<boolean>;

  /**
   * Throws `key_invalid` unless `key` is a point on `curve` (`algorithm_unsupported` for a JWK of another kind).
   * Providers may remember the answer per encoding: it depends only on the bytes.
   */
  checkEcPublicKey(curve: EcCurve, key: EcPublicKeyInput): Promise<void>;

  generateEcdhKeyPair(curve: EcCurve, extractable?: boolean): Promise<CryptoKeyPair>;
  importEcdhPrivateKey(jwk: JsonWebKey): Promise<CryptoKey>;
  exportPublicJwk(key: CryptoKey): Promise<JsonWebKey>;
  /** The raw shared secret (x coordinate). Throws `key_invalid` for a point not on the curve. */
  deriveEcdhSecret(privateKey: CryptoKey, publicKey: EcPublicKeyInput): Promise<Uint8Array>;
  /**
   * Ephemeral-static ECDH (JOSE ECDH-ES): a fresh key pair on `curve`, agreed with `peer`. Returns the ephemeral
   * public JWK and the raw shared secret; the ephemeral private key never leaves the provider and is dropped.
   * Throws `key_invalid` for a peer key that is not a point on `curve`.
   */
  ecdhEphemeral(curve: EcCurve, peer: EcPublicKeyInput): Promise<{ publicJwk: JsonWebKey; secret: Uint8Array }>;
  /** RFC 3394 AES key wrap (JOSE A128KW/A192KW/A256KW) of `key` (a multiple of 8 bytes, at least 16) under `kek`. */
  aesKeyWrap(kek: Uint8Array, key: Uint8Array): Promise<Uint8Array>;

  importAesKey(raw: Uint8Array, extractable?: boolean): Promise<CryptoKey>;
  /** Returns ciphertext‖tag. */
  aesGcmEncrypt(request: AesGcmRequest & { readonly plaintext: Uint8Array }): Promise<Uint8Array>;
  /** Takes ciphertext‖tag; throws `decryption_failed` on any authentication failure. */
  aesGcmDecrypt(request: AesGcmRequest & { readonly ciphertext: Uint8Array }): Promise<Uint8Array>;

  hkdf(request: HkdfRequest): Promise<Uint8Array>;
  hmac(hash: HashAlgorithm, key: Uint8Array, data: Uint8Array): Promise<Uint8Array>;
}
