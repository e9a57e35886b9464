import { createCipheriv, createPublicKey, createSecretKey, diffieHellman, generateKeyPairSync, hash as nodeHash, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { Crypto as PeculiarCrypto } from '@peculiar/webcrypto';

import { toArrayBuffer } from './bytes.js';
import { CryptoError } from './crypto.error.js';
import type {
  AesGcmRequest,
  CryptoProvider,
  EcCurve,
  EcdsaVerifyRequest,
  EcPublicKeyInput,
  HashAlgorithm,
  HkdfRequest,
  RsaPssVerifyRequest,
} from './crypto-provider.js';
import { checkP1363, ecdsaDerToP1363, ecdsaP1363ToDer } from './ecdsa-signature.js';

const HASH_BYTES: Readonly<Record<HashAlgorithm, number>> = { 'SHA-256': 32, 'SHA-384': 48, 'SHA-512': 64 };
const AES_KEY_BYTES = new Set([16, 24, 32]);
const GCM_TAG_BITS = new Set([96, 104, 112, 120, 128]);
/** RFC 3394 §2.2.3.1 default initial value of AES Key Wrap. */
const AES_KW_IV = Buffer.from('a6a6a6a6a6a6a6a6', 'hex');
/** OpenSSL 3 (behind Node's WebCrypto) refuses GCM IVs longer than 128 bytes; we refuse them up front. */
export const AES_GCM_MAX_IV_BYTES = 128;

const NODE_HASH: Readonly<Record<HashAlgorithm, string>> = { 'SHA-256': 'sha256', 'SHA-384': 'sha384', 'SHA-512': 'sha512' };
const NODE_CURVE: Readonly<Record<EcCurve, string>> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1' };
/** SubjectPublicKeyInfo prefixes for an uncompressed point (id-ecPublicKey + named curve, BIT STRING header). */
const EC_SPKI_PREFIX: Readonly<Record<EcCurve, Buffer>> = {
  'P-256': Buffer.from('3059301306072a8648ce3d020106082a8648ce3d030107034200', 'hex'),
  'P-384': Buffer.from('3076301006072a8648ce3d020106052b81040022036200', 'hex'),
};
const PUBLIC_KEY_CACHE_LIMIT = 1024;

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

export interface WebCryptoProviderOptions {
  /**
   * Public-key operations that touch no secret (ECDSA verify, digests) run on node:crypto directly, with the
   * imported public key cached per encoding. `@peculiar/webcrypto` is itself a wrapper over node:crypto, but it
   * re-reads the key from PEM on every verify, which costs more than a P-256 verify. Operations whose secret is
   * already plain bytes in this process (ephemeral ECDH-ES keys, AES-KW and AES-GCM sealing with a raw key) also run
   * natively: the key release does each once per request. Key handles (`CryptoKey`) always stay with the WebCrypto
   * implementation. Default: on for the default `@peculiar/webcrypto`, off when another `Crypto` (e.g. an HSM) is
   * supplied. Both paths run the same Wycheproof vectors (webcrypto.provider.spec.ts).
   */
  readonly nativePublicKeyOps?: boolean;
}

/**
 * CryptoProvider over any WebCrypto implementation. By default `@peculiar/webcrypto`; pass another `Crypto`
 * (e.g. a PKCS#11-backed one) to keep private keys in an HSM.
 */
export class WebCryptoProvider implements CryptoProvider {
  private readonly subtle: SubtleCrypto;
  private readonly webcrypto: Crypto;
  private readonly native: boolean;
  /** Imported public keys by encoding: evidence re-presents the same VCEK/PCK keys, and import dominates verify cost. */
  private readonly publicKeys = new Map<string, Promise<CryptoKey>>();
  /** The native fast path's keys, by curve and SPKI bytes (or JWK members). */
  private readonly nativeKeys = new Map<string, KeyObject>();

  constructor(webcrypto?: Crypto, options: WebCryptoProviderOptions = {}) {
    this.webcrypto = webcrypto ?? (new PeculiarCrypto() as unknown as Crypto);
    this.subtle = this.webcrypto.subtle;
    this.native = options.nativePublicKeyOps ?? webcrypto === undefined;
  }

  async digest(hash: HashAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    if (this.native) return new Uint8Array(nodeHash(NODE_HASH[hash], data, 'buffer'));
    return new Uint8Array(await this.subtle.digest(hash, toArrayBuffer(data)));
  }

  randomBytes(length: number): Uint8Array {
    if (!Number.isInteger(length) || length < 0 || length > 65536) {
      throw new CryptoError('parameter_invalid', 'random length out of range');
    }
    return this.webcrypto.getRandomValues(new Uint8Array(length));
  }

  async verifyEcdsa(request: EcdsaVerifyRequest): Promise<boolean> {
    if (this.native) return this.verifyEcdsaNative(request);
    const key = await this.importEcPublic(request.publicKey, request.curve, 'ECDSA', ['verify']);
    const p1363 =
      request.signatureFormat === 'der'
        ? ecdsaDerToP1363(request.signature, request.curve)
        : checkP1363(request.signature, request.curve);
    if (!p1363) return false;
    try {
      return await this.subtle.verify(
        { name: 'ECDSA', hash: request.hash },
        key,
        toArrayBuffer(p1363),
        toArrayBuffer(request.data),
      );
    } catch {
      return false;
    }
  }

  private verifyEcdsaNative(request: EcdsaVerifyRequest): boolean {
    const key = this.nativeEcPublic(request.publicKey, request.curve);
    // node:crypto is given DER with a bare KeyObject: its `dsaEncoding: 'ieee-p1363'` option path costs more than
    // half a P-256 verify. DER input is passed on only once it is known to be the one canonical encoding.
    let der: Uint8Array;
    if (request.signatureFormat === 'der') {
      if (!ecdsaDerToP1363(request.signature, request.curve)) return false;
      der = request.signature;
    } else {
      const p1363 = checkP1363(request.signature, request.curve);
      if (!p1363) return false;
      der = ecdsaP1363ToDer(p1363);
    }
    try {
      return nodeVerify(NODE_HASH[request.hash], request.data, key, der);
    } catch {
      return false;
    }
  }

  /** Imports (once) an EC public key as a node KeyObject, checking it is on the requested named curve. */
  private nativeEcPublic(input: EcPublicKeyInput, curve: EcCurve): KeyObject {
    let id: string;
    if ('spki' in input) id = `${curve}:s:${asBuffer(input.spki).toString('base64')}`;
    else if ('point' in input) id = `${curve}:p:${asBuffer(input.point).toString('base64')}`;
    else id = `${curve}:j:${String(input.jwk.kty)}:${String(input.jwk.crv)}:${String(input.jwk.x)}:${String(input.jwk.y)}`;
    const cached = this.nativeKeys.get(id);
    if (cached) return cached;
    let key: KeyObject;
    try {
      if ('jwk' in input) {
        if (this.curveOfJwk(input.jwk) !== curve) throw new Error('curve mismatch');
        const { kty, crv, x, y } = input.jwk;
        if (typeof x !== 'string' || typeof y !== 'string') throw new Error('missing coordinates');
        key = createPublicKey({ key: { kty: kty!, crv: crv!, x, y }, format: 'jwk' });
      } else if ('point' in input) {
        const expected = 1 + 2 * (curve === 'P-256' ? 32 : 48);
        if (input.point.length !== expected || input.point[0] !== 0x04) throw new Error('not an uncompressed point');
        key = createPublicKey({ key: Buffer.concat([EC_SPKI_PREFIX[curve], input.point]), format: 'der', type: 'spki' });
      } else {
        key = createPublicKey({ key: asBuffer(input.spki), format: 'der', type: 'spki' });
      }
      if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== NODE_CURVE[curve]) {
        throw new Error('not a key on the requested curve');
      }
    } catch (cause) {
      if (cause instanceof CryptoError) throw cause;
      throw new CryptoError('key_invalid', `${curve} public key could not be imported`, undefined, String(cause));
    }
    if (this.nativeKeys.size >= PUBLIC_KEY_CACHE_LIMIT) this.nativeKeys.clear();
    this.nativeKeys.set(id, key);
    return key;
  }

  async verifyRsaPss(request: RsaPssVerifyRequest): Promise<boolean> {
    if (!Number.isInteger(request.saltLength) || request.saltLength < 0) {
      throw new CryptoError('parameter_invalid', 'RSA-PSS salt length invalid');
    }
    const key = await this.cachedPublicKey(`RSA-PSS:${request.hash}:${Buffer.from(request.publicKeySpki).toString('base64')}`, async () => {
      try {
        return await this.subtle.importKey(
          'spki',
          toArrayBuffer(request.publicKeySpki),
          { name: 'RSA-PSS', hash: request.hash },
          false,
          ['verify'],
        );
      } catch (cause) {
        throw new CryptoError('key_invalid', 'RSA public key could not be imported', undefined, String(cause));
      }
    });
    try {
      return await this.subtle.verify(
        { name: 'RSA-PSS', saltLength: request.saltLength },
        key,
        toArrayBuffer(request.signature),
        toArrayBuffer(request.data),
      );
    } catch {
      return false;
    }
  }

  async checkEcPublicKey(curve: EcCurve, key: EcPublicKeyInput): Promise<void> {
    if (this.native) this.nativeEcPublic(key, curve);
    else await this.importEcPublic(key, curve, 'ECDH', []);
  }

  generateEcdhKeyPair(curve: EcCurve, extractable = false): Promise<CryptoKeyPair> {
    return this.subtle.generateKey({ name: 'ECDH', namedCurve: curve }, extractable, ['deriveBits']);
  }

  async importEcdhPrivateKey(jwk: JsonWebKey): Promise<CryptoKey> {
    const curve = this.curveOfJwk(jwk);
    try {
      return await this.subtle.importKey('jwk', jwk, { name: 'ECDH', namedCurve: curve }, false, ['deriveBits']);
    } catch (cause) {
      throw new CryptoError('key_invalid', 'EC private key could not be imported', undefined, String(cause));
    }
  }

  async exportPublicJwk(key: CryptoKey): Promise<JsonWebKey> {
    const jwk = await this.subtle.exportKey('jwk', key);
    const { kty, crv, x, y, n, e } = jwk;
    return Object.fromEntries(Object.entries({ kty, crv, x, y, n, e }).filter(([, v]) => v !== undefined));
  }

  async deriveEcdhSecret(privateKey: CryptoKey, publicKey: EcPublicKeyInput): Promise<Uint8Array> {
    const algorithm = privateKey.algorithm as EcKeyAlgorithm;
    const curve = algorithm.namedCurve as EcCurve;
    if (curve !== 'P-256' && curve !== 'P-384') {
      throw new CryptoError('algorithm_unsupported', 'ECDH curve not supported');
    }
    const peer = await this.importEcPublic(publicKey, curve, 'ECDH', []);
    try {
      const bits = await this.subtle.deriveBits({ name: 'ECDH', public: peer }, privateKey, curve === 'P-256' ? 256 : 384);
      return new Uint8Array(bits);
    } catch (cause) {
      throw new CryptoError('key_invalid', 'ECDH key agreement failed', undefined, String(cause));
    }
  }

  async ecdhEphemeral(curve: EcCurve, peer: EcPublicKeyInput): Promise<{ publicJwk: JsonWebKey; secret: Uint8Array }> {
    if (!this.native) {
      const pair = await this.generateEcdhKeyPair(curve, false);
      const secret = await this.deriveEcdhSecret(pair.privateKey, peer);
      return { publicJwk: await this.exportPublicJwk(pair.publicKey), secret };
    }
    // Native: the ephemeral private key is a node KeyObject that lives for this call only (never exported).
    const peerKey = this.nativeEcPublic(peer, curve);
    const pair = generateKeyPairSync('ec', { namedCurve: NODE_CURVE[curve] });
    let secret: Buffer;
    try {
      secret = diffieHellman({ privateKey: pair.privateKey, publicKey: peerKey });
    } catch (cause) {
      throw new CryptoError('key_invalid', 'ECDH key agreement failed', undefined, String(cause));
    }
    const { kty, crv, x, y } = pair.publicKey.export({ format: 'jwk' });
    return { publicJwk: { kty: kty!, crv: crv!, x: x!, y: y! }, secret: new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength) };
  }

  async aesKeyWrap(kek: Uint8Array, key: Uint8Array): Promise<Uint8Array> {
    if (!AES_KEY_BYTES.has(kek.length)) throw new CryptoError('key_invalid', 'AES key must be 128, 192 or 256 bits');
    if (key.length < 16 || key.length % 8 !== 0) throw new CryptoError('parameter_invalid', 'AES-KW input must be a multiple of 8 bytes, at least 16');
    if (this.native) {
      // KeyObjects, not raw bytes: node's key-type check on a byte array costs ~15 µs per cipher (gcm-backend.ts).
      const cipher = createCipheriv(`id-aes${kek.length * 8}-wrap`, createSecretKey(kek), AES_KW_IV);
      return new Uint8Array(Buffer.concat([cipher.update(key), cipher.final()]));
    }
    const wrapping = await this.subtle.importKey('raw', toArrayBuffer(kek), 'AES-KW', false, ['wrapKey']);
    const toWrap = await this.subtle.importKey('raw', toArrayBuffer(key), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
    return new Uint8Array(await this.subtle.wrapKey('raw', toWrap, wrapping, 'AES-KW'));
  }

  async importAesKey(raw: Uint8Array, extractable = false): Promise<CryptoKey> {
    if (!AES_KEY_BYTES.has(raw.length)) throw new CryptoError('key_invalid', 'AES key must be 128, 192 or 256 bits');
    return this.subtle.importKey('raw', toArrayBuffer(raw), { name: 'AES-GCM' }, extractable, ['encrypt', 'decrypt']);
  }

  async aesGcmEncrypt(request: AesGcmRequest & { readonly plaintext: Uint8Array }): Promise<Uint8Array> {
    if (this.native && request.key instanceof Uint8Array) return this.aesGcmEncryptNative(request as AesGcmRequest & { key: Uint8Array; plaintext: Uint8Array });
    const { key, params } = await this.gcmParams(request);
    return new Uint8Array(await this.subtle.encrypt(params, key, toArrayBuffer(request.plaintext)));
  }

  /**
   * A raw key is already in this process's memory, so sealing with it natively keeps nothing from an HSM: it skips
   * the WebCrypto key import and job, which cost more than sealing a DEK. Key handles stay on the WebCrypto path.
   */
  private aesGcmEncryptNative(request: AesGcmRequest & { readonly key: Uint8Array; readonly plaintext: Uint8Array }): Uint8Array {
    const tagLength = request.tagLength ?? 128;
    if (!GCM_TAG_BITS.has(tagLength)) throw new CryptoError('parameter_invalid', 'AES-GCM tag length not allowed');
    if (request.iv.length === 0 || request.iv.length > AES_GCM_MAX_IV_BYTES) {
      throw new CryptoError('parameter_invalid', `AES-GCM IV must be 1 to ${AES_GCM_MAX_IV_BYTES} bytes`);
    }
    if (!AES_KEY_BYTES.has(request.key.length)) throw new CryptoError('key_invalid', 'AES key must be 128, 192 or 256 bits');
    const cipher = createCipheriv(`aes-${request.key.length * 8}-gcm` as 'aes-256-gcm', createSecretKey(request.key), request.iv, { authTagLength: tagLength / 8 });
    if (request.additionalData && request.additionalData.length > 0) cipher.setAAD(request.additionalData);
    const out = Buffer.concat([cipher.update(request.plaintext), cipher.final(), cipher.getAuthTag()]);
    return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  }

  async aesGcmDecrypt(request: AesGcmRequest & { readonly ciphertext: Uint8Array }): Promise<Uint8Array> {
    const { key, params } = await this.gcmParams(request);
    if (request.ciphertext.length * 8 < params.tagLength) {
      throw new CryptoError('decryption_failed', 'ciphertext shorter than the tag');
    }
    try {
      return new Uint8Array(await this.subtle.decrypt(params, key, toArrayBuffer(request.ciphertext)));
    } catch {
      throw new CryptoError('decryption_failed', 'AES-GCM authentication failed');
    }
  }

  async hkdf(request: HkdfRequest): Promise<Uint8Array> {
    const max = 255 * HASH_BYTES[request.hash];
    if (!Number.isInteger(request.length) || request.length <= 0 || request.length > max) {
      throw new CryptoError('parameter_invalid', 'HKDF output length out of range');
    }
    const ikm = await this.subtle.importKey('raw', toArrayBuffer(request.ikm), 'HKDF', false, ['deriveBits']);
    const bits = await this.subtle.deriveBits(
      { name: 'HKDF', hash: request.hash, salt: toArrayBuffer(request.salt), info: toArrayBuffer(request.info) },
      ikm,
      request.length * 8,
    );
    return new Uint8Array(bits);
  }

  async hmac(hash: HashAlgorithm, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    if (key.length === 0) throw new CryptoError('key_invalid', 'HMAC key must not be empty');
    const k = await this.subtle.importKey('raw', toArrayBuffer(key), { name: 'HMAC', hash }, false, ['sign']);
    return new Uint8Array(await this.subtle.sign('HMAC', k, toArrayBuffer(data)));
  }

  private async gcmParams(request: AesGcmRequest): Promise<{ key: CryptoKey; params: AesGcmParams & { tagLength: number } }> {
    const tagLength = request.tagLength ?? 128;
    if (!GCM_TAG_BITS.has(tagLength)) throw new CryptoError('parameter_invalid', 'AES-GCM tag length not allowed');
    if (request.iv.length === 0 || request.iv.length > AES_GCM_MAX_IV_BYTES) {
      throw new CryptoError('parameter_invalid', `AES-GCM IV must be 1 to ${AES_GCM_MAX_IV_BYTES} bytes`);
    }
    const key = request.key instanceof Uint8Array ? await this.importAesKey(request.key) : request.key;
    const params: AesGcmParams & { tagLength: number } = { name: 'AES-GCM', iv: toArrayBuffer(request.iv), tagLength };
    if (request.additionalData && request.additionalData.length > 0) {
      params.additionalData = toArrayBuffer(request.additionalData);
    }
    return { key, params };
  }

  private curveOfJwk(jwk: JsonWebKey): EcCurve {
    if (jwk.kty !== 'EC' || (jwk.crv !== 'P-256' && jwk.crv !== 'P-384')) {
      throw new CryptoError('algorithm_unsupported', 'only EC P-256 and P-384 keys are supported');
    }
    return jwk.crv;
  }

  private async importEcPublic(
    input: EcPublicKeyInput,
    curve: EcCurve,
    name: 'ECDSA' | 'ECDH',
    usages: KeyUsage[],
  ): Promise<CryptoKey> {
    const cacheKey = `${name}:${curve}:${JSON.stringify(input, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('base64') : v))}`;
    return this.cachedPublicKey(cacheKey, () => this.importEcPublicUncached(input, curve, name, usages));
  }

  private cachedPublicKey(cacheKey: string, load: () => Promise<CryptoKey>): Promise<CryptoKey> {
    const cached = this.publicKeys.get(cacheKey);
    if (cached) return cached;
    const imported = load();
    imported.catch(() => this.publicKeys.delete(cacheKey));
    if (this.publicKeys.size >= 1024) this.publicKeys.clear();
    this.publicKeys.set(cacheKey, imported);
    return imported;
  }

  private async importEcPublicUncached(
    input: EcPublicKeyInput,
    curve: EcCurve,
    name: 'ECDSA' | 'ECDH',
    usages: KeyUsage[],
  ): Promise<CryptoKey> {
    const algorithm = { name, namedCurve: curve };
    try {
      if ('jwk' in input) {
        if (this.curveOfJwk(input.jwk) !== curve) throw new Error('curve mismatch');
        const { kty, crv, x, y } = input.jwk;
        return await this.subtle.importKey('jwk', { kty, crv, x, y }, algorithm, false, usages);
      }
      if ('point' in input) {
        const expected = 1 + 2 * (curve === 'P-256' ? 32 : 48);
        if (input.point.length !== expected || input.point[0] !== 0x04) throw new Error('not an uncompressed point');
        return await this.subtle.importKey('raw', toArrayBuffer(input.point), algorithm, false, usages);
      }
      return await this.subtle.importKey('spki', toArrayBuffer(input.spki), algorithm, false, usages);
    } catch (cause) {
      throw new CryptoError('key_invalid', `${curve} public key could not be imported`, undefined, String(cause));
    }
  }
}
