import type { CryptoProvider } from '@confide/crypto';

import { verifySignedBy, type Certificate, type SignedData } from './certificate.js';

/**
 * Remembers (signed object, issuer) pairs whose signature verified: certificate links, CRLs, signed collateral.
 * A signature over fixed bytes stays valid, so only that is cached; validity at `at`, pinning and revocation are
 * checked on every call. Bounded; cleared when full. Parsed objects are immutable, so a pair of the same objects is
 * answered by identity without re-encoding anything (callers that cache parses by content hit this path); other
 * objects with the same bytes are matched by content.
 */
export class VerifiedLinkCache {
  private readonly links = new Set<string>();
  private byIdentity = new WeakMap<SignedData, WeakSet<Certificate>>();
  constructor(private readonly maxEntries = 10_000) {}

  static keyOf(signed: SignedData, issuer: Certificate): string {
    const alg = signed.signatureAlgorithm;
    const b64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
    const algorithm = alg.kind === 'ecdsa' ? `ecdsa/${alg.hash}/${alg.format ?? 'der'}` : `pss/${alg.hash}/${alg.saltLength}`;
    return `${algorithm}|${b64(signed.tbs)}|${b64(signed.signature)}|${b64(issuer.publicKey.spki)}`;
  }
  has(signed: SignedData, issuer: Certificate): boolean {
    if (this.byIdentity.get(signed)?.has(issuer)) return true;
    if (!this.links.has(VerifiedLinkCache.keyOf(signed, issuer))) return false;
    this.remember(signed, issuer);
    return true;
  }
  add(signed: SignedData, issuer: Certificate): void {
    if (this.links.size >= this.maxEntries) {
      this.links.clear();
      this.byIdentity = new WeakMap();
    }
    this.links.add(VerifiedLinkCache.keyOf(signed, issuer));
    this.remember(signed, issuer);
  }
  private remember(signed: SignedData, issuer: Certificate): void {
    let set = this.byIdentity.get(signed);
    if (!set) this.byIdentity.set(signed, (set = new WeakSet()));
    set.add(issuer);
  }
}

/**
 * `verifySignedBy` with the issuer certificate's key, answered from `cache` when this pair verified before. A hit
 * returns `true` synchronously: cached links are the hot path of every repeat verification, and callers skip an
 * await (a microtask turn each) for them.
 */
export function verifySignedByCached(
  crypto: CryptoProvider,
  signed: SignedData,
  issuer: Certificate,
  what: string,
  cache?: VerifiedLinkCache,
): true | Promise<boolean> {
  if (cache?.has(signed, issuer)) return true;
  return verifySignedBy(crypto, signed, issuer.publicKey, what).then((ok) => {
    if (ok) cache?.add(signed, issuer);
    return ok;
  });
}
