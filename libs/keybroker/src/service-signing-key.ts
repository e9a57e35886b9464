import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { KeyBrokerError } from './keybroker.error.js';

export const SERVICE_SIGNING_ALG = 'ES384';

/**
 * The attestation service's ES384 signing key: signs attestation results (JWT) and exported reports (JWS).
 * Embedded mode keeps it as a private JWK in a 0600 file created at first start; the `kid` is the key's RFC 7638
 * thumbprint, so rotating the file changes the kid and old results stop verifying.
 */
export class ServiceSigningKey {
  private constructor(
    readonly kid: string,
    readonly privateKey: CryptoKey,
    readonly publicJwk: Readonly<JWK>,
  ) {}

  static async generate(): Promise<ServiceSigningKey> {
    const { privateKey } = await generateKeyPair(SERVICE_SIGNING_ALG, { extractable: true });
    return ServiceSigningKey.fromPrivateJwk(await exportJWK(privateKey));
  }

  static async fromPrivateJwk(jwk: JWK): Promise<ServiceSigningKey> {
    if (jwk.kty !== 'EC' || jwk.crv !== 'P-384' || typeof jwk.d !== 'string') {
      throw new KeyBrokerError('signing_key_invalid', 'the attestation signing key must be a private EC P-384 JWK');
    }
    const privateKey = (await importJWK({ ...jwk, alg: SERVICE_SIGNING_ALG }, SERVICE_SIGNING_ALG)) as CryptoKey;
    const publicMembers = { kty: 'EC', crv: 'P-384', x: jwk.x, y: jwk.y } as JWK;
    const kid = await calculateJwkThumbprint(publicMembers, 'sha256');
    return new ServiceSigningKey(kid, privateKey, Object.freeze({ ...publicMembers, kid, alg: SERVICE_SIGNING_ALG, use: 'sig' }));
  }

  /** Loads the key file, or creates it (mode 0600, exclusive create) on first start. Refuses a file others can read. */
  static async loadOrCreate(path: string): Promise<ServiceSigningKey> {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
      const { privateKey } = await generateKeyPair(SERVICE_SIGNING_ALG, { extractable: true });
      try {
        writeFileSync(path, `${JSON.stringify(await exportJWK(privateKey))}\n`, { mode: 0o600, flag: 'wx' });
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
    const info = statSync(path);
    if ((info.mode & 0o077) !== 0) {
      throw new KeyBrokerError('signing_key_invalid', `the attestation signing key file must have mode 0600, found ${(info.mode & 0o777).toString(8)}`);
    }
    let jwk: JWK;
    try {
      jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
    } catch {
      throw new KeyBrokerError('signing_key_invalid', 'the attestation signing key file is not a JWK');
    }
    return ServiceSigningKey.fromPrivateJwk(jwk);
  }

  /** The public JWKS relying parties use to check results and exported reports. */
  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk }] };
  }
}
