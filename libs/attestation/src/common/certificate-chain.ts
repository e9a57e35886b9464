import type { CryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import type { Certificate } from './certificate.js';
import { checkRevocation, type CertificateRevocationList } from './crl.js';
import { sameBytes } from './der.js';
import { verifySignedByCached, type VerifiedLinkCache } from './verified-links.js';

const MAX_CHAIN_LENGTH = 8;

export interface ChainRequest {
  readonly leaf: Certificate;
  /** Candidate issuers in any order: supplied by the attester, by the caller, or pinned intermediates. */
  readonly intermediates: readonly Certificate[];
  /** Pinned self-signed roots. The chain must end in one of these, byte for byte. */
  readonly trustAnchors: readonly Certificate[];
  /** The point in time every certificate (and CRL) must be valid at. */
  readonly at: Date;
  /** Names the chain in errors (e.g. "vcek", "gpu-device", "pck"). */
  readonly what: string;
  /**
   * When true, `intermediates` is the chain as the attester supplied it, in order (the leaf's issuer first; the
   * root may be left out, and is then taken from `trustAnchors`): each link must be the next supplied certificate.
   * A chain out of order, or with certificates after its root, is `certificate_chain_invalid`. TDX quotes carry
   * the PCK chain like this, and Intel's collateral issuer chains too.
   */
  readonly ordered?: boolean;
  /**
   * CRLs applied to every link below the root: the CRL of a certificate's issuer must be signed by that issuer and
   * current at `at`, and must not list the certificate as revoked as of `at` (see `checkRevocation`).
   */
  readonly crls?: readonly CertificateRevocationList[];
  /** With `crls`: a link whose issuer has no CRL there is `collateral_missing`. */
  readonly requireCrls?: boolean;
  /**
   * Signature checks already passed, owned by the caller (a verifier instance). A signature over fixed bytes stays
   * valid, so only links (and CRL signatures) are cached; validity at `at`, pinning and revocation are checked on
   * every call.
   */
  readonly verifiedLinks?: VerifiedLinkCache;
}

function checkValidity(cert: Certificate, at: Date, what: string): void {
  const t = at.getTime(); // numbers: `<` on two Dates goes through ToPrimitive on both, for every certificate
  if (t < cert.notBefore.getTime()) {
    throw new AttestationError('certificate_not_yet_valid', 'certificate is not yet valid at the requested time', what, cert.subjectCommonName);
  }
  if (t > cert.notAfter.getTime()) {
    throw new AttestationError('certificate_expired', 'certificate is expired at the requested time', what, cert.subjectCommonName);
  }
}

/** The certificates that may have issued `current`, in the order to try them. */
function issuerCandidates(request: ChainRequest, chain: readonly Certificate[], current: Certificate): readonly Certificate[] {
  const issuedCurrent = (c: Certificate): boolean => sameBytes(c.subject, current.issuer);
  if (!request.ordered) {
    return [...request.trustAnchors, ...request.intermediates].filter((c) => issuedCurrent(c) && !chain.includes(c));
  }
  const next = request.intermediates[chain.length - 1];
  if (next && issuedCurrent(next)) return [next];
  const anchors = request.trustAnchors.filter(issuedCurrent);
  if (next && anchors.length > 0) {
    throw new AttestationError('certificate_chain_invalid', 'certificate chain is out of order', request.what, `link ${chain.length - 1}`);
  }
  return anchors;
}

/**
 * Applies `request.crls` to every (certificate, issuer) link of the verified chain below its root, from link
 * `from` on. Synchronous while CRL signatures come from the cache; a promise for the rest once one must be verified.
 */
function applyCrls(crypto: CryptoProvider, request: ChainRequest, chain: readonly Certificate[], from = 0): Promise<void> | undefined {
  const crls = request.crls ?? [];
  for (let i = from; i + 1 < chain.length; i++) {
    const cert = chain[i]!;
    const issuer = chain[i + 1]!;
    const crl = crls.find((c) => sameBytes(c.issuer, issuer.subject));
    if (crl) {
      const pending = checkRevocation(crypto, crl, issuer, [cert], request.at, request.what, request.verifiedLinks);
      if (pending) return pending.then(() => applyCrls(crypto, request, chain, i + 1));
    } else if (request.requireCrls) {
      throw new AttestationError('collateral_missing', 'no CRL for a certificate issuer', request.what, issuer.subjectCommonName);
    }
  }
  return undefined;
}

/**
 * Builds and verifies leaf → … → pinned root. Reason codes: a link whose signature does not verify, an issuer that
 * is not a CA, or (with `ordered`) a chain out of order is `certificate_chain_invalid`; a missing issuer is
 * `certificate_chain_incomplete`; a chain that verifies but ends in a root that is not pinned is
 * `certificate_untrusted_root`; validity at `at` gives `certificate_expired` / `certificate_not_yet_valid`; then
 * `crls` give `crl_invalid`, `crl_expired`, `certificate_revoked` or (`requireCrls`) `collateral_missing`.
 * Returns the chain, leaf first, root last.
 */
export async function verifyCertificateChain(crypto: CryptoProvider, request: ChainRequest): Promise<Certificate[]> {
  const { what, at } = request;
  const chain: Certificate[] = [request.leaf];
  let current = request.leaf;
  for (;;) {
    checkValidity(current, at, what);
    if (sameBytes(current.issuer, current.subject)) {
      const pinned = request.trustAnchors.some((anchor) => sameBytes(anchor.der, current.der));
      const selfSigned = verifySignedByCached(crypto, current, current, current.subjectCommonName, request.verifiedLinks);
      if (selfSigned !== true && !(await selfSigned)) {
        throw new AttestationError('certificate_chain_invalid', 'root certificate signature is invalid', what, current.subjectCommonName);
      }
      if (!pinned) {
        throw new AttestationError('certificate_untrusted_root', 'certificate chain ends in an untrusted root', what, current.subjectCommonName);
      }
      if (request.ordered && chain.length <= request.intermediates.length) {
        throw new AttestationError('certificate_chain_invalid', 'certificates follow the root', what);
      }
      const revocation = applyCrls(crypto, request, chain);
      if (revocation) await revocation;
      return chain;
    }
    if (chain.length >= MAX_CHAIN_LENGTH) {
      throw new AttestationError('certificate_chain_invalid', 'certificate chain is too long', what);
    }
    const candidates = issuerCandidates(request, chain, current);
    if (candidates.length === 0) {
      throw new AttestationError('certificate_chain_incomplete', 'certificate chain does not reach a root', what, current.issuerCommonName);
    }
    let issuer: Certificate | undefined;
    for (const candidate of candidates) {
      if (!candidate.isCa) continue;
      const signed = verifySignedByCached(crypto, current, candidate, current.subjectCommonName, request.verifiedLinks);
      if (signed === true || (await signed)) {
        issuer = candidate;
        break;
      }
    }
    if (!issuer) {
      const reason = candidates.some((c) => c.isCa) ? 'certificate signature is invalid' : 'issuer is not a CA';
      throw new AttestationError('certificate_chain_invalid', reason, what, current.subjectCommonName);
    }
    chain.push(issuer);
    current = issuer;
  }
}
