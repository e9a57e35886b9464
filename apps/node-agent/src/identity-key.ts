import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

/** The node's long-lived identity key (ES256): registers the node and signs every request's DPoP proof. */
export interface NodeIdentity {
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
  readonly alg: 'ES256';
  readonly publicJwk: { kty: 'EC'; crv: 'P-256'; x: string; y: string };
  readonly jkt: string;
}

/** Loads the key from `path` (a 0600 private JWK) or creates it there on first start. */
export async function loadOrCreateIdentity(path: string): Promise<NodeIdentity> {
  let jwk: JWK;
  if (existsSync(path)) {
    jwk = JSON.parse(readFileSync(path, 'utf8')) as JWK;
  } else {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    const { privateKey } = await generateKeyPair('ES256', { extractable: true });
    jwk = await exportJWK(privateKey);
    writeFileSync(path, `${JSON.stringify(jwk)}\n`, { mode: 0o600, flag: 'wx' });
  }
  chmodSync(path, 0o600);
  const publicJwk = { kty: 'EC' as const, crv: 'P-256' as const, x: jwk.x!, y: jwk.y! };
  const privateKey = (await importJWK({ ...jwk, alg: 'ES256' }, 'ES256')) as CryptoKey;
  const publicKey = (await importJWK({ ...publicJwk, alg: 'ES256' }, 'ES256')) as CryptoKey;
  return { privateKey, publicKey, alg: 'ES256', publicJwk, jkt: await calculateJwkThumbprint(publicJwk, 'sha256') };
}
