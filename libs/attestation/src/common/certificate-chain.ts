import type { CryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { verifyCertificateSignature, type Certificate } from './certificate.js';

const MAX_CHAIN_LENGTH = 8;

export interface ChainRequest {
  readonly leaf: Certificate;
  /** Candidate issuers in any order: supplied by the attester, by the caller, or pinned intermediates. */
  readonly intermediates: readonly Certificate[];
  /** Pinned self-signed roots. The chain must end in one of these, byte for byte. */
  readonly trustAnchors: readonly Certificate[];
  /** The point in time every certificate must be valid at. */
  readonly at: Date;
  /** Names the chain in errors (e.g. "vcek", "gpu-device"). */
  readonly what: string;
  /**
   * Signature checks already passed, owned by the caller (a verifier instance). A signature over fixed bytes stays
   * valid, so only links are cached; validity at `at`, pinning and revocation are checked on every call.
   */
  readonly verifiedLinks?: VerifiedLinkCache;
}

/**
 * Remembers (certificate, issuer) pairs whose signature verified. Bounded; cleared when full. Parsed certificates
 * are immutable, so a pair of the same objects is answered by identity without re-encoding the DER; other objects
 * with the same bytes are matched by content.
 */
export class VerifiedLinkCache {
  private readonly links = new Set<string>();
  private byIdentity = new WeakMap<Certificate, WeakSet<Certificate>>();
  constructor(private readonly maxEntries = 10_000) {}

  static keyOf(cert: Certificate, issuer: Certificate): string {
    return `${Buffer.from(cert.der).toString('base64')}|${Buffer.from(issuer.publicKey.spki).toString('base64')}`;
  }
  has(cert: Certificate, issuer: Certificate): boolean {
    if (this.byIdentity.get(cert)?.has(issuer)) return true;
    if (!this.links.has(VerifiedLinkCache.keyOf(cert, issuer))) return false;
    this.remember(cert, issuer);
    return true;
  }
  add(cert: Certificate, issuer: Certificate): void {
    if (this.links.size >= this.maxEntries) {
      this.links.clear();
      this.byIdentity = new WeakMap();
    }
    this.links.add(VerifiedLinkCache.keyOf(cert, issuer));
    this.remember(cert, issuer);
  }
  private remember(cert: Certificate, issuer: Certificate): void {
    let set = this.byIdentity.get(cert);
    if (!set) this.byIdentity.set(cert, (set = new WeakSet()));
    set.add(issuer);
  }
}

async function linkVerifies(crypto: CryptoProvider, cert: Certificate, issuer: Certificate, cache?: VerifiedLinkCache): Promise<boolean> {
  if (cache?.has(cert, issuer)) return true;
  const ok = await verifyCertificateSignature(crypto, cert, issuer);
  if (ok) cache?.add(cert, issuer);
  return ok;
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return Buffer.compare(a, b) === 0;
}

function checkValidity(cert: Certificate, at: Date, what: string): void {
  if (at < cert.notBefore) {
    throw new AttestationError('certificate_not_yet_valid', 'certificate is not yet valid at the requested time', what, cert.subjectCommonName);
  }
  if (at > cert.notAfter) {
    throw new AttestationError('certificate_expired', 'certificate is expired at the requested time', what, cert.subjectCommonName);
  }
}

/**
 * Builds and verifies leaf → … → pinned root. Reason codes: a link whose signature does not verify is
 * `certificate_chain_invalid`; a missing issuer is `certificate_chain_incomplete`; a chain that verifies but ends in
 * a root that is not pinned is `certificate_untrusted_root`; validity at `at` gives `certificate_expired` /
 * `certificate_not_yet_valid`. Returns the chain, leaf first, root last.
 */
export async function verifyCertificateChain(crypto: CryptoProvider, request: ChainRequest): Promise<Certificate[]> {
  const { what, at } = request;
  const pool = [...request.trustAnchors, ...request.intermediates];
  const chain: Certificate[] = [request.leaf];
  let current = request.leaf;
  for (;;) {
    checkValidity(current, at, what);
    if (sameBytes(current.issuer, current.subject)) {
      const pinned = request.trustAnchors.some((anchor) => sameBytes(anchor.der, current.der));
      if (!(await linkVerifies(crypto, current, current, request.verifiedLinks))) {
        throw new AttestationError('certificate_chain_invalid', 'root certificate signature is invalid', what, current.subjectCommonName);
      }
      if (!pinned) {
        throw new AttestationError('certificate_untrusted_root', 'certificate chain ends in an untrusted root', what, current.subjectCommonName);
      }
      return chain;
    }
    if (chain.length >= MAX_CHAIN_LENGTH) {
      throw new AttestationError('certificate_chain_invalid', 'certificate chain is too long', what);
    }
    const candidates = pool.filter((c) => sameBytes(c.subject, current.issuer) && !chain.includes(c));
    if (candidates.length === 0) {
      throw new AttestationError('certificate_chain_incomplete', 'certificate chain does not reach a root', what, current.issuerCommonName);
    }
    let issuer: Certificate | undefined;
    for (const candidate of candidates) {
      if (!candidate.isCa) continue;
      if (await linkVerifies(crypto, current, candidate, request.verifiedLinks)) {
        issuer = candidate;
        break;
      }
    }
    if (!issuer) {
      throw new AttestationError('certificate_chain_invalid', 'certificate signature is invalid', what, current.subjectCommonName);
    }
    chain.push(issuer);
    current = issuer;
  }
}
