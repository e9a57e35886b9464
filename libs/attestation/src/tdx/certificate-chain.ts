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
}

export interface VerifiedChain {
  /** Leaf first, trusted root last (the root is appended when the chain omitted it). */
  readonly path: readonly ParsedCertificate[];
  readonly crlsApplied: number;
}

function isSelfIssued(cert: ParsedCertificate): boolean {
  return sameBytes(cert.issuer, cert.subject);
}

function signedBy(crypto: TdxCrypto, child: { tbs: Uint8Array; signature: Uint8Array; signatureHash: 'sha256' | 'sha384' }, issuer: ParsedCertificate): boolean {
  return crypto.verifyEcdsa(issuer.spki, child.signatureHash, child.tbs, child.signature, 'der');
}

/**
 * Checks leaf → … → trusted root: names link, every signature verifies, issuers are CAs, every certificate is
 * valid at `at`, and none is revoked (as of `at`) by a CRL that is itself signed by its issuer and current at `at`.
 */
export function verifyCertificateChain(
  chain: readonly ParsedCertificate[],
  options: ChainOptions,
  crypto: TdxCrypto,
): VerifiedChain {
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
      if (!signedBy(crypto, cert, cert)) {
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
    if (!signedBy(crypto, cert, issuer)) {
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
    if (!signedBy(crypto, crl, issuer)) throw new AttestationError('crl_invalid', 'CRL signature is invalid', what, issuer.subjectCommonName);
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
