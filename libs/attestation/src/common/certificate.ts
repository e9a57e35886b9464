import type { CryptoProvider, EcCurve, EcdsaSignatureFormat, HashAlgorithm } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import {
  DER_TAG,
  derBitStringBytes,
  derChildren,
  derIntegerHex,
  derOid,
  derSmallInteger,
  derString,
  derTime,
  expectTag,
  readDer,
  type DerNode,
} from './der.js';
import { derSequence } from './der-writer.js';

const OID = {
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  ecdsaWithSha512: '1.2.840.10045.4.3.4',
  rsassaPss: '1.2.840.113549.1.1.10',
  rsaEncryption: '1.2.840.113549.1.1.1',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
  mgf1: '1.2.840.113549.1.1.8',
  ecPublicKey: '1.2.840.10045.2.1',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  commonName: '2.5.4.3',
  basicConstraints: '2.5.29.19',
} as const;

const HASH_BY_OID: Readonly<Record<string, HashAlgorithm>> = {
  [OID.sha256]: 'SHA-256',
  [OID.sha384]: 'SHA-384',
  [OID.sha512]: 'SHA-512',
};

/**
 * How a certificate, CRL or other signed object is signed, in the terms the CryptoProvider takes. ECDSA signatures
 * in X.509 are DER; vendor formats (TDX quotes, Intel collateral) carry raw r‖s, marked `format: 'p1363'`.
 */
export type SignatureAlgorithm =
  | { readonly kind: 'ecdsa'; readonly hash: HashAlgorithm; readonly format?: EcdsaSignatureFormat }
  | { readonly kind: 'rsa-pss'; readonly hash: HashAlgorithm; readonly saltLength: number };

/** Bytes signed by an issuer's key: a certificate's or CRL's TBS, a quote, a signed JSON value. */
export interface SignedData {
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: SignatureAlgorithm;
  readonly signature: Uint8Array;
}

export type PublicKeyInfo =
  | { readonly kind: 'ec'; readonly curve: EcCurve; readonly spki: Uint8Array }
  | { readonly kind: 'rsa'; readonly spki: Uint8Array }
  | { readonly kind: 'other'; readonly oid: string; readonly spki: Uint8Array };

export interface CertificateExtension {
  readonly critical: boolean;
  /** Contents of the extnValue OCTET STRING (itself usually DER). */
  readonly value: Uint8Array;
}

/** The parts of an X.509 certificate that chain checks and vendor extensions need, parsed strictly from DER. */
export interface Certificate extends SignedData {
  readonly der: Uint8Array;
  readonly serialHex: string;
  /** Raw DER of the issuer and subject Names: chains link on byte equality. */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly issuerCommonName: string;
  readonly subjectCommonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly publicKey: PublicKeyInfo;
  readonly isCa: boolean;
  readonly extensions: ReadonlyMap<string, CertificateExtension>;
}

function parseError(what: string, detail?: string): AttestationError {
  return new AttestationError('evidence_malformed', 'certificate could not be parsed', what, detail);
}

/** Parses an AlgorithmIdentifier of a certificate or CRL signature. */
export function parseSignatureAlgorithm(node: DerNode, what: string): SignatureAlgorithm {
  const [oidNode, params] = derChildren(expectTag(node, DER_TAG.sequence, what), what);
  const oid = derOid(expectTag(oidNode, DER_TAG.oid, what), what);
  switch (oid) {
    case OID.ecdsaWithSha256:
      return { kind: 'ecdsa', hash: 'SHA-256' };
    case OID.ecdsaWithSha384:
      return { kind: 'ecdsa', hash: 'SHA-384' };
    case OID.ecdsaWithSha512:
      return { kind: 'ecdsa', hash: 'SHA-512' };
    case OID.rsassaPss:
      return parsePssParams(expectTag(params, DER_TAG.sequence, what), what);
    default:
      throw new AttestationError('certificate_chain_invalid', 'unsupported signature algorithm', what, oid);
  }
}

/** RSASSA-PSS-params; we accept only MGF1 with the same hash and the default trailer (1). */
function parsePssParams(params: DerNode, what: string): SignatureAlgorithm {
  let hash: HashAlgorithm | undefined;
  let mgfHash: HashAlgorithm | undefined;
  let saltLength = 20;
  for (const field of derChildren(params, what)) {
    const [inner] = derChildren(field, what);
    if (!inner) throw parseError(what, 'PSS params');
    switch (field.tag) {
      case 0xa0:
        hash = HASH_BY_OID[derOid(derChildren(inner, what)[0] ?? inner, what)];
        break;
      case 0xa1: {
        const [mgfOid, mgfParams] = derChildren(inner, what);
        if (!mgfOid || derOid(mgfOid, what) !== OID.mgf1 || !mgfParams) throw parseError(what, 'PSS MGF');
        mgfHash = HASH_BY_OID[derOid(derChildren(mgfParams, what)[0] ?? mgfParams, what)];
        break;
      }
      case 0xa2:
        saltLength = derSmallInteger(inner, what);
        break;
      case 0xa3:
        if (derSmallInteger(inner, what) !== 1) throw parseError(what, 'PSS trailer');
        break;
      default:
        throw parseError(what, 'PSS params');
    }
  }
  if (!hash || hash !== mgfHash) {
    throw new AttestationError('certificate_chain_invalid', 'unsupported RSA-PSS parameters', what);
  }
  return { kind: 'rsa-pss', hash, saltLength };
}

function parsePublicKey(spki: DerNode, what: string): PublicKeyInfo {
  const [alg] = derChildren(expectTag(spki, DER_TAG.sequence, what), what);
  const [oidNode, params] = derChildren(expectTag(alg, DER_TAG.sequence, what), what);
  const oid = derOid(expectTag(oidNode, DER_TAG.oid, what), what);
  if (oid === OID.ecPublicKey && params?.tag === DER_TAG.oid) {
    const curveOid = derOid(params, what);
    if (curveOid === OID.p256) return { kind: 'ec', curve: 'P-256', spki: spki.bytes };
    if (curveOid === OID.p384) return { kind: 'ec', curve: 'P-384', spki: spki.bytes };
  }
  if (oid === OID.rsaEncryption || oid === OID.rsassaPss) return { kind: 'rsa', spki: spki.bytes };
  return { kind: 'other', oid, spki: spki.bytes };
}

function commonNameOf(name: DerNode, what: string): string {
  for (const rdn of derChildren(name, what)) {
    for (const atv of derChildren(rdn, what)) {
      const [type, value] = derChildren(atv, what);
      if (type && value && derOid(type, what) === OID.commonName) return derString(value);
    }
  }
  return '';
}

/** Parses one DER certificate. Tolerates what real vendor certificates do (serial 0, no AKI/SKI). */
export function parseCertificate(der: Uint8Array, what = 'certificate'): Certificate {
  const root = readDer(der, what);
  const [tbsNode, sigAlgNode, sigNode] = derChildren(expectTag(root, DER_TAG.sequence, what), what);
  const tbsFields = derChildren(expectTag(tbsNode, DER_TAG.sequence, what), what);
  let i = tbsFields[0]?.tag === 0xa0 ? 1 : 0; // explicit version
  const serial = tbsFields[i++];
  const innerSigAlg = tbsFields[i++];
  const issuer = expectTag(tbsFields[i++], DER_TAG.sequence, what);
  const validity = derChildren(expectTag(tbsFields[i++], DER_TAG.sequence, what), what);
  const subject = expectTag(tbsFields[i++], DER_TAG.sequence, what);
  const spki = expectTag(tbsFields[i++], DER_TAG.sequence, what);
  const signatureAlgorithm = parseSignatureAlgorithm(expectTag(sigAlgNode, DER_TAG.sequence, what), what);
  if (!innerSigAlg || Buffer.compare(innerSigAlg.bytes, sigAlgNode!.bytes) !== 0) {
    throw parseError(what, 'signature algorithm differs inside and outside tbsCertificate');
  }
  const [notBefore, notAfter] = validity;
  if (!notBefore || !notAfter) throw parseError(what, 'validity');

  const extensions = new Map<string, CertificateExtension>();
  for (const field of tbsFields.slice(i)) {
    if (field.tag !== 0xa3) continue; // issuer/subject unique ids
    const [list] = derChildren(field, what);
    for (const ext of derChildren(expectTag(list, DER_TAG.sequence, what), what)) {
      const parts = derChildren(ext, what);
      const oid = derOid(expectTag(parts[0], DER_TAG.oid, what), what);
      const critical = parts.length === 3 && parts[1]?.tag === DER_TAG.boolean && parts[1].content[0] !== 0;
      const value = expectTag(parts[parts.length - 1], DER_TAG.octetString, what).content;
      if (extensions.has(oid)) throw parseError(what, `duplicate extension ${oid}`);
      extensions.set(oid, { critical, value });
    }
  }
  let isCa = false;
  const bc = extensions.get(OID.basicConstraints);
  if (bc) {
    const [first] = derChildren(readDer(bc.value, what), what);
    isCa = first?.tag === DER_TAG.boolean && first.content[0] !== 0;
  }

  return {
    der: root.bytes,
    tbs: tbsNode!.bytes,
    signatureAlgorithm,
    signature: derBitStringBytes(expectTag(sigNode, DER_TAG.bitString, what), what),
    serialHex: derIntegerHex(expectTag(serial, DER_TAG.integer, what), what),
    issuer: issuer.bytes,
    subject: subject.bytes,
    issuerCommonName: commonNameOf(issuer, what),
    subjectCommonName: commonNameOf(subject, what),
    notBefore: derTime(notBefore, what),
    notAfter: derTime(notAfter, what),
    publicKey: parsePublicKey(spki, what),
    isCa,
    extensions,
  };
}

/**
 * Splits PEM text (any number of CERTIFICATE blocks, in order; anything around them, such as the NUL padding of
 * TDX quote certification data, is ignored) or a single DER certificate into DER blobs.
 */
export function certificatesFromPemOrDer(input: Uint8Array | string): Uint8Array[] {
  if (typeof input !== 'string' && input[0] === DER_TAG.sequence) return [input];
  const text = typeof input === 'string' ? input : Buffer.from(input.buffer, input.byteOffset, input.byteLength).toString('latin1');
  const blocks = [...text.matchAll(/-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g)];
  return blocks.map((m) => new Uint8Array(Buffer.from((m[1] ?? '').replace(/\s+/g, ''), 'base64')));
}

/**
 * Verifies `signed.signature` over `signed.tbs` with the issuer's key. Returns false on a bad signature, and on a
 * key the provider cannot import (such a key verifies nothing); throws `certificate_chain_invalid` when the
 * algorithm does not fit the key (e.g. an RSA signature from an EC key).
 */
export async function verifySignedBy(crypto: CryptoProvider, signed: SignedData, issuerKey: PublicKeyInfo, what: string): Promise<boolean> {
  const algorithm = signed.signatureAlgorithm;
  // `return await` inside try: a provider's key_invalid becomes false, and V8 settles an awaited promise in fewer
  // microtask turns than one returned from an async function.
  try {
    if (algorithm.kind === 'ecdsa' && issuerKey.kind === 'ec') {
      return await crypto.verifyEcdsa({
        curve: issuerKey.curve,
        hash: algorithm.hash,
        publicKey: { spki: issuerKey.spki },
        signature: signed.signature,
        signatureFormat: algorithm.format ?? 'der',
        data: signed.tbs,
      });
    }
    if (algorithm.kind === 'rsa-pss' && issuerKey.kind === 'rsa') {
      return await crypto.verifyRsaPss({
        hash: algorithm.hash,
        saltLength: algorithm.saltLength,
        publicKeySpki: rsaEncryptionSpki(issuerKey.spki),
        signature: signed.signature,
        data: signed.tbs,
      });
    }
  } catch {
    return false;
  }
  throw new AttestationError('certificate_chain_invalid', 'signature algorithm does not match the issuer key', what);
}

/** AlgorithmIdentifier { rsaEncryption, NULL }. */
const RSA_ENCRYPTION_ALGORITHM_ID = new Uint8Array(Buffer.from('300d06092a864886f70d0101010500', 'hex'));

/** WebCrypto imports RSA keys only under rsaEncryption; AMD keys may be tagged id-RSASSA-PSS with params. */
function rsaEncryptionSpki(spki: Uint8Array): Uint8Array {
  const [alg, key] = derChildren(readDer(spki, 'spki'), 'spki');
  const [oid] = derChildren(alg!, 'spki');
  if (derOid(oid!, 'spki') === OID.rsaEncryption) return spki;
  return derSequence(RSA_ENCRYPTION_ALGORITHM_ID, key!.bytes);
}

export async function verifyCertificateSignature(
  crypto: CryptoProvider,
  cert: Certificate,
  issuer: Certificate,
): Promise<boolean> {
  return verifySignedBy(crypto, cert, issuer.publicKey, cert.subjectCommonName);
}
