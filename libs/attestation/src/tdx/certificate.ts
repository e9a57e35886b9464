import { AttestationError } from '../attestation.error.js';
import { derChild, derChildren, derIntegerHex, derOid, derTime, readDer, toHex, type DerNode } from './der.js';

const ECDSA_SHA256 = '1.2.840.10045.4.3.2';
const ECDSA_SHA384 = '1.2.840.10045.4.3.3';
const BASIC_CONSTRAINTS = '2.5.29.19';

export interface CertificateExtension {
  readonly critical: boolean;
  /** Contents of the extnValue OCTET STRING. */
  readonly value: Uint8Array;
}

/** The parts of an X.509 certificate that chain building and the SGX checks need, parsed from DER. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureHash: 'sha256' | 'sha384';
  /** DER ECDSA-Sig-Value from the signatureValue BIT STRING. */
  readonly signature: Uint8Array;
  readonly serialHex: string;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly subjectCommonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: Uint8Array;
  readonly isCa: boolean;
  readonly extensions: ReadonlyMap<string, CertificateExtension>;
}

function certError(what: string): AttestationError {
  return new AttestationError('evidence_malformed', 'certificate could not be parsed', what);
}

export function signatureHashOf(algorithm: DerNode, what: string): 'sha256' | 'sha384' {
  const oid = derOid(derChild(derChildren(algorithm, what), 0, what));
  if (oid === ECDSA_SHA256) return 'sha256';
  if (oid === ECDSA_SHA384) return 'sha384';
  throw new AttestationError('certificate_chain_invalid', 'unsupported certificate signature algorithm', what, oid);
}

/** BIT STRING contents without the unused-bits byte. */
export function bitStringBytes(node: DerNode, what: string): Uint8Array {
  if (node.tag !== 0x03 || node.value[0] !== 0) throw certError(what);
  return node.value.subarray(1);
}

function commonName(name: DerNode): string {
  for (const rdn of derChildren(name)) {
    for (const atv of derChildren(rdn)) {
      const [type, value] = derChildren(atv);
      if (type && value && derOid(type) === '2.5.4.3') return new TextDecoder().decode(value.value);
    }
  }
  return '';
}

export function parseCertificate(der: Uint8Array, what = 'certificate'): ParsedCertificate {
  try {
    const cert = readDer(der, 0, what);
    if (cert.tag !== 0x30 || cert.raw.length !== der.length) throw certError(what);
    const [tbsNode, algNode, sigNode] = derChildren(cert, what);
    if (!tbsNode || !algNode || !sigNode) throw certError(what);
    const tbsFields = derChildren(tbsNode, what);
    let i = 0;
    if (tbsFields[0]?.tag === 0xa0) i = 1; // explicit version
    const serial = derChild(tbsFields, i, what);
    const issuer = derChild(tbsFields, i + 2, what);
    const validity = derChildren(derChild(tbsFields, i + 3, what), what);
    const subject = derChild(tbsFields, i + 4, what);
    const spki = derChild(tbsFields, i + 5, what);
    const extensions = new Map<string, CertificateExtension>();
    const extWrapper = tbsFields.slice(i + 6).find((f) => f.tag === 0xa3);
    if (extWrapper) {
      for (const ext of derChildren(derChild(derChildren(extWrapper, what), 0, what), what)) {
        const parts = derChildren(ext, what);
        const oid = derOid(derChild(parts, 0, what));
        const critical = parts.length === 3 && parts[1]!.tag === 0x01 && parts[1]!.value[0] !== 0;
        const value = derChild(parts, parts.length - 1, what);
        if (value.tag !== 0x04) throw certError(what);
        extensions.set(oid, { critical, value: value.value });
      }
    }
    let isCa = false;
    const bc = extensions.get(BASIC_CONSTRAINTS);
    if (bc) {
      const first = derChildren(readDer(bc.value, 0, what), what)[0];
      isCa = first?.tag === 0x01 && first.value[0] !== 0;
    }
    return {
      der,
      tbs: tbsNode.raw,
      signatureHash: signatureHashOf(algNode, what),
      signature: bitStringBytes(sigNode, what),
      serialHex: derIntegerHex(serial),
      issuer: issuer.raw,
      subject: subject.raw,
      subjectCommonName: commonName(subject),
      notBefore: derTime(derChild(validity, 0, what), what),
      notAfter: derTime(derChild(validity, 1, what), what),
      spki: spki.raw,
      isCa,
      extensions,
    };
  } catch (error) {
    if (error instanceof AttestationError) throw error;
    throw certError(what);
  }
}

/** Splits a PEM bundle into DER certificates, in order. Trailing NULs (as in quote cert data) are ignored. */
export function pemToDerList(pem: string | Uint8Array): Uint8Array[] {
  const text = typeof pem === 'string' ? pem : new TextDecoder().decode(pem);
  const out: Uint8Array[] = [];
  const re = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    out.push(new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/** Accepts a PEM bundle or a single DER certificate. */
export function certificatesFrom(input: Uint8Array | string): Uint8Array[] {
  if (typeof input !== 'string' && input[0] === 0x30) return [input];
  return pemToDerList(input);
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function fingerprintHex(bytes: Uint8Array, sha256: (d: Uint8Array) => Uint8Array): string {
  return toHex(sha256(bytes));
}
