import { AttestationError } from '../attestation.error.js';
import { CborMap, CborTag, decodeCbor, encodeCbor, type CborLimits, type CborValue } from './cbor.js';

/** COSE (RFC 9052) labels and values this module uses. */
export const COSE = {
  tagSign1: 18,
  headerAlg: 1,
  headerCrit: 2,
  algEs384: -35,
  /** ES384 signatures are r‖s, 48 bytes each (RFC 9053 §2.1). */
  es384SignatureBytes: 96,
} as const;

/** A COSE_Sign1 message as received: the exact protected-header and payload bytes that the signature covers. */
export interface CoseSign1 {
  readonly protectedBytes: Uint8Array;
  readonly alg: number;
  readonly payload: Uint8Array;
  readonly signature: Uint8Array;
  /** CBOR of ["Signature1", protected, h'' (no external AAD), payload]: what the signature is over. */
  readonly toBeSigned: Uint8Array;
}

/** The documents COSE wraps are a few KiB; 64 KiB is generous and keeps a hostile input from costing much. */
const LIMITS: CborLimits = { maxBytes: 64 * 1024, maxDepth: 8, maxItems: 64 };

function malformed(message: string, target: string): AttestationError {
  return new AttestationError('evidence_malformed', message, target);
}

function bytes(value: CborValue, target: string): Uint8Array {
  if (!(value instanceof Uint8Array)) throw malformed('COSE_Sign1 field is not a byte string', target);
  return value;
}

/**
 * Parses an untagged or tag-18 COSE_Sign1 signed with ES384: [protected bstr .cbor {1: -35}, unprotected {},
 * payload bstr, signature bstr(96)]. The protected header must name ES384 and carry no critical parameters; the
 * unprotected header must be empty (it is not signed, so nothing in it may be relied on); the payload is attached.
 * Verifying the signature is the caller's job (over `toBeSigned`, with the key the payload names).
 */
export function parseCoseSign1(input: Uint8Array, what: string): CoseSign1 {
  let message = decodeCbor(input, what, LIMITS);
  if (message instanceof CborTag) {
    if (message.tag !== COSE.tagSign1) throw malformed(`CBOR tag ${message.tag} is not COSE_Sign1 (18)`, `${what}(tag)`);
    message = message.value;
  }
  if (!Array.isArray(message) || message.length !== 4) throw malformed('COSE_Sign1 is not an array of 4 items', what);
  const [protectedItem, unprotected, payloadItem, signatureItem] = message as readonly CborValue[];

  const protectedBytes = bytes(protectedItem, `${what}.protected`);
  const header = decodeCbor(protectedBytes, `${what}.protected`, LIMITS);
  if (!(header instanceof CborMap)) throw malformed('COSE protected header is not a map', `${what}.protected`);
  const alg = header.get(COSE.headerAlg);
  if (alg !== COSE.algEs384) {
    throw new AttestationError('evidence_unsupported_version', 'COSE algorithm is not ES384', `${what}.protected.alg`, String(alg));
  }
  if (header.get(COSE.headerCrit) !== undefined) {
    throw new AttestationError('evidence_unsupported_version', 'COSE critical header parameters are not supported', `${what}.protected.crit`);
  }
  if (!(unprotected instanceof CborMap)) throw malformed('COSE unprotected header is not a map', `${what}.unprotected`);
  if (unprotected.size !== 0) throw malformed('COSE unprotected header is not empty', `${what}.unprotected`);

  const payload = bytes(payloadItem, `${what}.payload`);
  const signature = bytes(signatureItem, `${what}.signature`);
  if (signature.length !== COSE.es384SignatureBytes) {
    throw malformed(`ES384 signature is ${signature.length} bytes, not ${COSE.es384SignatureBytes}`, `${what}.signature`);
  }
  return {
    protectedBytes,
    alg,
    payload,
    signature,
    toBeSigned: encodeCbor(['Signature1', protectedBytes, new Uint8Array(0), payload]),
  };
}
