import type { CryptoProvider } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { parseSignatureAlgorithm, type Certificate, type SignedData } from './certificate.js';
import { DER_TAG, derBitStringBytes, derChildren, derIntegerHex, derTime, expectTag, readDer, sameBytes } from './der.js';
import { verifySignedByCached, type VerifiedLinkCache } from './verified-links.js';

/** An X.509 v2 CRL, parsed from DER. */
export interface CertificateRevocationList extends SignedData {
  readonly der: Uint8Array;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate?: Date;
  /** Serial numbers (lower-case hex, no leading zeros) → revocation date. */
  readonly revoked: ReadonlyMap<string, Date>;
}

export function parseCrl(der: Uint8Array, what = 'crl'): CertificateRevocationList {
  try {
    const root = readDer(der, what);
    const [tbsNode, sigAlgNode, sigNode] = derChildren(expectTag(root, DER_TAG.sequence, what), what);
    const fields = derChildren(expectTag(tbsNode, DER_TAG.sequence, what), what);
    let i = fields[0]?.tag === DER_TAG.integer ? 1 : 0;
    i++; // inner signature algorithm (must match the outer one)
    const issuer = expectTag(fields[i++], DER_TAG.sequence, what);
    const thisUpdate = derTime(fields[i++]!, what);
    let nextUpdate: Date | undefined;
    const maybeNext = fields[i];
    if (maybeNext && (maybeNext.tag === DER_TAG.utcTime || maybeNext.tag === DER_TAG.generalizedTime)) {
      nextUpdate = derTime(maybeNext, what);
      i++;
    }
    const revoked = new Map<string, Date>();
    const list = fields[i];
    if (list?.tag === DER_TAG.sequence) {
      for (const entry of derChildren(list, what)) {
        const [serial, date] = derChildren(entry, what);
        revoked.set(derIntegerHex(expectTag(serial, DER_TAG.integer, what), what), derTime(date!, what));
      }
    }
    return {
      der: root.bytes,
      tbs: tbsNode!.bytes,
      signatureAlgorithm: parseSignatureAlgorithm(sigAlgNode!, what),
      signature: derBitStringBytes(expectTag(sigNode, DER_TAG.bitString, what), what),
      issuer: issuer.bytes,
      thisUpdate,
      ...(nextUpdate ? { nextUpdate } : {}),
      revoked,
    };
  } catch (cause) {
    if (cause instanceof AttestationError && cause.code !== 'evidence_malformed') throw cause;
    throw new AttestationError('crl_invalid', 'CRL could not be parsed', what);
  }
}

/**
 * Checks that `crl` was issued and signed by `issuer` and is current at `at` (thisUpdate ≤ at ≤ nextUpdate),
 * then throws `certificate_revoked` if any of `certificates` (issued by that issuer) was revoked as of `at`.
 * The CRL's signature is remembered in `verifiedLinks` (it repeats across verifications); currency and the
 * revocation list are checked on every call. With the signature cached, it completes synchronously (no promise).
 */
export function checkRevocation(
  crypto: CryptoProvider,
  crl: CertificateRevocationList,
  issuer: Certificate,
  certificates: readonly Certificate[],
  at: Date,
  what = 'crl',
  verifiedLinks?: VerifiedLinkCache,
): Promise<void> | undefined {
  if (!sameBytes(crl.issuer, issuer.subject)) {
    throw new AttestationError('crl_invalid', 'CRL was not issued by the expected CA', what, issuer.subjectCommonName);
  }
  const verified = verifySignedByCached(crypto, crl, issuer, what, verifiedLinks);
  if (verified === true) return checkListed(crl, issuer, certificates, at, what);
  return verified.then((ok) => {
    if (!ok) throw new AttestationError('crl_invalid', 'CRL signature is invalid', what, issuer.subjectCommonName);
    checkListed(crl, issuer, certificates, at, what);
  });
}

/** The checks of a CRL whose signature verified: current at `at`, and none of `certificates` revoked as of `at`. */
function checkListed(crl: CertificateRevocationList, issuer: Certificate, certificates: readonly Certificate[], at: Date, what: string): undefined {
  if (at < crl.thisUpdate || (crl.nextUpdate && at > crl.nextUpdate)) {
    throw new AttestationError('crl_expired', 'CRL is not current at the requested time', what, issuer.subjectCommonName);
  }
  for (const cert of certificates) {
    if (!sameBytes(cert.issuer, issuer.subject)) continue;
    const revokedAt = crl.revoked.get(cert.serialHex);
    if (revokedAt && revokedAt <= at) {
      throw new AttestationError('certificate_revoked', 'certificate is revoked', what, cert.subjectCommonName);
    }
  }
  return undefined;
}
