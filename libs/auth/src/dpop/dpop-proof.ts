import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, exportJWK, jwtVerify, SignJWT, type CryptoKey, type JWK, type KeyObject } from 'jose';
import { DomainError } from '@confide/domain';

/**
 * Proof-of-possession for node requests in the shape of RFC 9449 (DPoP): every request a node agent makes carries
 * a JWT signed by the node's identity key, bound to the method, the URL, a time and a unique id (and to the access
 * token when there is one). The server checks the proof and that the key's thumbprint is the registered node's.
 */
export const DPOP_ERROR_CODES = [
  'proof_missing',
  'proof_malformed',
  'proof_alg_not_allowed',
  'proof_signature_invalid',
  'proof_method_mismatch',
  'proof_url_mismatch',
  'proof_stale',
  'proof_replayed',
  'proof_token_mismatch',
  'proof_key_mismatch',
] as const;
export type DpopErrorCode = (typeof DPOP_ERROR_CODES)[number];

export class DpopError extends DomainError<DpopErrorCode> {
  readonly area = 'dpop';
}

const ALGS = ['ES256', 'ES384', 'EdDSA'];

/** Remembers proof ids for as long as a proof can be fresh; `firstUse` must be atomic across replicas. */
export interface ProofReplayStore {
  /** Returns true the first time `jti` is seen, false on any later use. */
  firstUse(jti: string, expiresAt: Date): Promise<boolean>;
}

/** Single-process replay store (tests, embedded mode); production stores it in the database. */
export class MemoryReplayStore implements ProofReplayStore {
  private readonly seen = new Map<string, number>();
  async firstUse(jti: string, expiresAt: Date): Promise<boolean> {
    const now = Date.now();
    if (this.seen.size > 10_000) for (const [k, exp] of this.seen) if (exp < now) this.seen.delete(k);
    const prev = this.seen.get(jti);
    if (prev !== undefined && prev >= now) return false;
    this.seen.set(jti, expiresAt.getTime());
    return true;
  }
}

export interface DpopCheck {
  readonly proof: string | undefined;
  readonly method: string;
  /** The request URL as the client addressed it (scheme, host, path; query and fragment ignored). */
  readonly url: string;
  /** The access token the request carries, if any (its hash must be in `ath`). */
  readonly accessToken?: string;
  /** Thumbprint the key must have (the registered node's), when known. */
  readonly expectedJkt?: string;
  readonly now?: Date;
  readonly maxAgeSec?: number;
}

export interface VerifiedProof {
  readonly jkt: string;
  readonly jwk: JWK;
  readonly jti: string;
  readonly iat: number;
}

export async function verifyDpopProof(check: DpopCheck, replay: ProofReplayStore): Promise<VerifiedProof> {
  if (!check.proof) throw new DpopError('proof_missing', 'A request proof is required.');
  let header: ReturnType<typeof decodeProtectedHeader>;
  try {
    header = decodeProtectedHeader(check.proof);
  } catch {
    throw new DpopError('proof_malformed', 'Invalid request proof.');
  }
  if (header.typ !== 'dpop+jwt' || typeof header.jwk !== 'object') throw new DpopError('proof_malformed', 'Invalid request proof.');
  if (!ALGS.includes(String(header.alg))) throw new DpopError('proof_alg_not_allowed', 'Invalid request proof.');
  if ('d' in (header.jwk as object)) throw new DpopError('proof_malformed', 'Invalid request proof.', undefined, 'private key in proof header');
  const now = check.now ?? new Date();
  const maxAge = check.maxAgeSec ?? 60;
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(check.proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: ALGS, currentDate: now, clockTolerance: 5 }));
  } catch {
    throw new DpopError('proof_signature_invalid', 'Invalid request proof.');
  }
  if (payload.htm !== check.method.toUpperCase()) throw new DpopError('proof_method_mismatch', 'Invalid request proof.');
  if (typeof payload.htu !== 'string' || normaliseUrl(payload.htu) !== normaliseUrl(check.url)) {
    throw new DpopError('proof_url_mismatch', 'Invalid request proof.', undefined, `htu ${String(payload.htu)}`);
  }
  const iat = payload.iat;
  const nowSec = Math.floor(now.getTime() / 1000);
  if (typeof iat !== 'number' || iat > nowSec + 5 || iat < nowSec - maxAge) throw new DpopError('proof_stale', 'Invalid request proof.');
  if (check.accessToken !== undefined && payload.ath !== createHash('sha256').update(check.accessToken).digest('base64url')) {
    throw new DpopError('proof_token_mismatch', 'Invalid request proof.');
  }
  const jwk = header.jwk as JWK;
  const jkt = await calculateJwkThumbprint(jwk, 'sha256');
  if (check.expectedJkt !== undefined && jkt !== check.expectedJkt) throw new DpopError('proof_key_mismatch', 'Invalid request proof.');
  const jti = payload.jti;
  if (typeof jti !== 'string' || jti.length < 16 || jti.length > 128) throw new DpopError('proof_malformed', 'Invalid request proof.');
  // Replay is judged per key: the same jti from another key is a different proof.
  if (!(await replay.firstUse(`${jkt}:${jti}`, new Date((iat + maxAge + 5) * 1000)))) throw new DpopError('proof_replayed', 'Invalid request proof.');
  return { jkt, jwk, jti, iat };
}

/** What a node agent attaches to each request (as the `DPoP` header). */
export async function createDpopProof(
  key: { privateKey: CryptoKey | KeyObject; publicKey: CryptoKey | KeyObject; alg: 'ES256' | 'ES384' | 'EdDSA' },
  req: { method: string; url: string; accessToken?: string; jti: string; now?: Date },
): Promise<string> {
  const jwk = await exportJWK(key.publicKey);
  const u = new URL(req.url);
  return new SignJWT({
    htm: req.method.toUpperCase(),
    htu: `${u.origin}${u.pathname}`,
    jti: req.jti,
    iat: Math.floor((req.now ?? new Date()).getTime() / 1000),
    ...(req.accessToken ? { ath: createHash('sha256').update(req.accessToken).digest('base64url') } : {}),
  })
    .setProtectedHeader({ alg: key.alg, typ: 'dpop+jwt', jwk })
    .sign(key.privateKey);
}

function normaliseUrl(u: string): string {
  try {
    const url = new URL(u);
    return `${url.protocol}//${url.host.toLowerCase()}${url.pathname}`;
  } catch {
    return `invalid:${u}`;
  }
}
