import { AttestationError } from '../attestation.error.js';
import { sameBytes, type ParsedCertificate } from './certificate.js';
import type { ParsedCrl } from './crl.js';
import type { TdxCrypto } from './tdx-crypto.js';

export interface ChainOptions {
  readonly at: Date;
  readonly trustedRoots: readonly ParsedCertificate[];
  readonly crls: readonly ParsedCrl[];
  /** When true, every certificate below the root must be covered by a CRL from its issuer. */
  readonly requireCrls: boolean;
  /** Names the chain in errors (`pck`, `tcbInfoIssuer`, …). */
  readonly what: string;
  /** Links already verified, by object identity (parsed certificates and CRLs come from a content cache). */
  readonly links?: LinkMemo;
}

/**
 * Remembers (signed object, signer) pairs whose signature verified. Keys are object identities: a parsed
 * certificate or CRL is immutable and the content cache hands out the same object for the same bytes, so a hit
 * means the very bytes that verified before. Validity, pinning and revocation are still checked on every call.
 */
export class LinkMemo {
  private readonly links = new WeakMap<object, WeakSet<object>>();
  has(signed: object, signer: object): boolean {
    return this.links.get(signed)?.has(signer) ?? false;
  }
  add(signed: object, signer: object): void {
    let set = this.links.get(signed);
    if (!set) this.links.set(signed, (set = new WeakSet()));
    set.add(signer);
  }
}

export interface VerifiedChain {
  /** Leaf first, trusted root last (the root is appended when the chain omitted it). */
  readonly path: readonly ParsedCertificate[];
  readonly crlsApplied: number;
}

function isSelfIssued(cert: ParsedCertificate): boolean {
  return sameBytes(cert.issuer, cert.subject);
}

async function signedBy(
  crypto: TdxCrypto,
  child: { tbs: Uint8Array; signature: Uint8Array; signatureHash: 'sha256' | 'sha384' },
  issuer: ParsedCertificate,
  links: LinkMemo | undefined,
): Promise<boolean> {
  if (links?.has(child, issuer)) return true;
  const ok = await crypto.verifyEcdsa(issuer.spki, child.signatureHash, child.tbs, child.signature, 'der');
  if (ok) links?.add(child, issuer);
  return ok;
}

/**
 * Checks leaf → … → trusted root: names link, every signature verifies, issuers are CAs, every certificate is
 * valid at `at`, and none is revoked (as of `at`) by a CRL that is itself signed by its issuer and current at `at`.
 */
export async function verifyCertificateChain(
  chain: readonly ParsedCertificate[],
  options: ChainOptions,
  crypto: TdxCrypto,
): Promise<VerifiedChain> {
  const { what } = options;
  if (chain.length === 0) throw new AttestationError('certificate_chain_incomplete', 'certificate chain is empty', what);
  const path: ParsedCertificate[] = [];
  let anchored = false;
  for (let i = 0; i < chain.length && !anchored; i++) {
    const cert = chain[i]!;
    path.push(cert);
    if (isSelfIssued(cert)) {
      if (!options.trustedRoots.some((root) => sameBytes(root.der, cert.der))) {
        throw new AttestationError('certificate_untrusted_root', 'certificate chain ends in an untrusted root', what);
      }
      if (!(await signedBy(crypto, cert, cert, options.links))) {
        throw new AttestationError('certificate_chain_invalid', 'root certificate signature is invalid', what);
      }
      anchored = true;
      if (i !== chain.length - 1) {
        throw new AttestationError('certificate_chain_invalid', 'certificates follow the root', what);
      }
      break;
    }
    const next = chain[i + 1];
    let issuer: ParsedCertificate | undefined;
    if (next && sameBytes(next.subject, cert.issuer)) {
      issuer = next;
    } else {
      issuer = options.trustedRoots.find((root) => sameBytes(root.subject, cert.issuer));
      if (!issuer) {
        throw new AttestationError('certificate_chain_incomplete', 'certificate chain does not reach a root', what, `link ${i}`);
      }
      if (next) throw new AttestationError('certificate_chain_invalid', 'certificate chain is out of order', what);
      path.push(issuer);
      anchored = true;
    }
    if (!issuer.isCa) throw new AttestationError('certificate_chain_invalid', 'issuer is not a CA', what, `link ${i}`);
    if (!(await signedBy(crypto, cert, issuer, options.links))) {
      throw new AttestationError('certificate_chain_invalid', 'certificate signature is invalid', what, `link ${i}`);
    }
  }
  if (!anchored) throw new AttestationError('certificate_chain_incomplete', 'certificate chain does not reach a root', what);

  const at = options.at.getTime();
  for (const cert of path) {
    if (at < cert.notBefore.getTime() || at > cert.notAfter.getTime()) {
      throw new AttestationError('certificate_expired', 'certificate is not valid at the requested time', what, cert.subjectCommonName);
    }
  }

  let crlsApplied = 0;
  for (let i = 0; i < path.length - 1; i++) {
    const cert = path[i]!;
    const issuer = path[i + 1]!;
    const crl = options.crls.find((c) => sameBytes(c.issuer, issuer.subject));
    if (!crl) {
      if (options.requireCrls) {
        throw new AttestationError('collateral_missing', 'no CRL for a certificate issuer', what, issuer.subjectCommonName);
      }
      continue;
    }
    if (!(await signedBy(crypto, crl, issuer, options.links))) throw new AttestationError('crl_invalid', 'CRL signature is invalid', what, issuer.subjectCommonName);
    if (at < crl.thisUpdate.getTime() || (crl.nextUpdate && at > crl.nextUpdate.getTime())) {
      throw new AttestationError('crl_expired', 'CRL is not current at the requested time', what, issuer.subjectCommonName);
    }
    const revokedAt = crl.revoked.get(cert.serialHex);
    if (revokedAt && revokedAt.getTime() <= at) {
      throw new AttestationError('certificate_revoked', 'certificate is revoked', what, cert.subjectCommonName);
    }
    crlsApplied++;
  }
  return { path, crlsApplied };
}
