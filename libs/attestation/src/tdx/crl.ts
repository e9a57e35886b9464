import { AttestationError } from '../attestation.error.js';
import { bitStringBytes, signatureHashOf } from './certificate.js';
import { derChild, derChildren, derIntegerHex, derTime, readDer } from './der.js';

/** An X.509 v2 CRL (RFC 5280 §5), as far as revocation checking needs it. */
export interface ParsedCrl {
  readonly der: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureHash: 'sha256' | 'sha384';
  readonly signature: Uint8Array;
  readonly issuer: Uint8Array;
  readonly thisUpdate: Date;
  readonly nextUpdate: Date | undefined;
  /** Serial (canonical hex) → revocation date. */
  readonly revoked: ReadonlyMap<string, Date>;
}

export function parseCrl(der: Uint8Array, what = 'crl'): ParsedCrl {
  try {
    const list = readDer(der, 0, what);
    if (list.tag !== 0x30 || list.raw.length !== der.length) throw new Error('not a CRL');
    const [tbsNode, algNode, sigNode] = derChildren(list, what);
    if (!tbsNode || !algNode || !sigNode) throw new Error('not a CRL');
    const fields = derChildren(tbsNode, what);
    let i = fields[0]?.tag === 0x02 ? 1 : 0;
    i += 1; // inner signature algorithm
    const issuer = derChild(fields, i++, what);
    const thisUpdate = derTime(derChild(fields, i++, what), what);
    let nextUpdate: Date | undefined;
    const maybeNext = fields[i];
    if (maybeNext && (maybeNext.tag === 0x17 || maybeNext.tag === 0x18)) {
      nextUpdate = derTime(maybeNext, what);
      i++;
    }
    const revoked = new Map<string, Date>();
    const maybeList = fields[i];
    if (maybeList && maybeList.tag === 0x30) {
      for (const entry of derChildren(maybeList, what)) {
        const parts = derChildren(entry, what);
        revoked.set(derIntegerHex(derChild(parts, 0, what)), derTime(derChild(parts, 1, what), what));
      }
    }
    return {
      der,
      tbs: tbsNode.raw,
      signatureHash: signatureHashOf(algNode, what),
      signature: bitStringBytes(sigNode, what),
      issuer: issuer.raw,
      thisUpdate,
      nextUpdate,
      revoked,
    };
  } catch (error) {
    if (error instanceof AttestationError && error.code !== 'evidence_malformed') throw error;
    throw new AttestationError('crl_invalid', 'CRL could not be parsed', what);
  }
}
