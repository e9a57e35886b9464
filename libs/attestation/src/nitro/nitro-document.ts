import { toHex } from '@confide/crypto';

import { AttestationError } from '../attestation.error.js';
import { CborMap, decodeCbor, type CborLimits, type CborValue } from './cbor.js';

/**
 * The AWS Nitro Enclaves attestation document (the COSE_Sign1 payload the Nitro Security Module returns), as AWS
 * specifies it: module_id, digest, timestamp, pcrs, certificate, cabundle, and optional public_key, user_data and
 * nonce (each at most 1024 bytes, NSM's limit). Every field is type-checked and unknown fields are refused.
 */
export interface NitroAttestationDocument {
  readonly moduleId: string;
  readonly digest: 'SHA384';
  /** Milliseconds since the Unix epoch, as the NSM stamps it. */
  readonly timestamp: number;
  /** PCR index → 48-byte value (lower-case hex), in index order. */
  readonly pcrs: ReadonlyMap<number, string>;
  /** DER of the enclave's signing certificate (the COSE key). */
  readonly certificate: Uint8Array;
  /** DER certificates, root first: cabundle[0] is the AWS Nitro root, the last one issued `certificate`. */
  readonly cabundle: readonly Uint8Array[];
  readonly publicKey?: Uint8Array;
  readonly userData?: Uint8Array;
  readonly nonce?: Uint8Array;
}

export const NITRO_LIMITS = {
  /** NSM allows up to 32 PCRs. */
  maxPcrs: 32,
  /** SHA-384 PCR values. */
  pcrBytes: 48,
  /** public_key, user_data and nonce. */
  maxOptionalBytes: 1024,
  maxCabundle: 8,
  maxCertificateBytes: 4096,
} as const;

const FIELDS = ['module_id', 'digest', 'timestamp', 'pcrs', 'certificate', 'cabundle', 'public_key', 'user_data', 'nonce'] as const;
const LIMITS: CborLimits = { maxBytes: 32 * 1024, maxDepth: 4, maxItems: 64 };

function malformed(message: string, field: string, detail?: string): AttestationError {
  return new AttestationError('evidence_malformed', message, `nitro.payload.${field}`, detail);
}

function required(doc: CborMap, field: (typeof FIELDS)[number]): CborValue {
  const v = doc.get(field);
  if (v === undefined) throw malformed('Nitro attestation document field is missing', field);
  return v;
}

function byteString(v: CborValue, field: string, min: number, max: number): Uint8Array {
  if (!(v instanceof Uint8Array)) throw malformed('Nitro attestation document field is not a byte string', field);
  if (v.length < min || v.length > max) throw malformed(`Nitro attestation document field must be ${min} to ${max} bytes`, field, `${v.length} bytes`);
  return v;
}

/** public_key / user_data / nonce: absent or null means not given (the NSM encodes an empty Option as null). */
function optional(doc: CborMap, field: 'public_key' | 'user_data' | 'nonce'): Uint8Array | undefined {
  const v = doc.get(field);
  if (v === undefined || v === null) return undefined;
  return byteString(v, field, 0, NITRO_LIMITS.maxOptionalBytes);
}

function parsePcrs(v: CborValue): Map<number, string> {
  if (!(v instanceof CborMap)) throw malformed('Nitro attestation document field is not a map', 'pcrs');
  if (v.size === 0 || v.size > NITRO_LIMITS.maxPcrs) throw malformed(`pcrs must hold 1 to ${NITRO_LIMITS.maxPcrs} entries`, 'pcrs', `${v.size} entries`);
  const pcrs = new Map<number, string>();
  for (const [index, value] of v.entries) {
    if (typeof index !== 'number' || index < 0 || index >= NITRO_LIMITS.maxPcrs) {
      throw malformed('PCR index is not an integer from 0 to 31', 'pcrs', String(index));
    }
    const bytes = byteString(value, `pcrs.${index}`, NITRO_LIMITS.pcrBytes, NITRO_LIMITS.pcrBytes);
    pcrs.set(index, toHex(bytes));
  }
  return new Map([...pcrs].sort(([a], [b]) => a - b));
}

/** Decodes and checks the payload of a Nitro COSE_Sign1 (the bytes the signature covers). */
export function parseNitroAttestationDocument(payload: Uint8Array): NitroAttestationDocument {
  const doc = decodeCbor(payload, 'nitro.payload', LIMITS);
  if (!(doc instanceof CborMap)) throw new AttestationError('evidence_malformed', 'Nitro attestation document is not a map', 'nitro.payload');
  for (const key of doc.keys()) {
    if (typeof key !== 'string' || !(FIELDS as readonly string[]).includes(key)) {
      throw malformed('Nitro attestation document has an unknown field', typeof key === 'string' ? key : '(key)', String(key));
    }
  }

  const moduleId = required(doc, 'module_id');
  if (typeof moduleId !== 'string' || moduleId.length === 0 || moduleId.length > 256) {
    throw malformed('module_id is not a non-empty text string', 'module_id');
  }
  const digest = required(doc, 'digest');
  if (typeof digest !== 'string') throw malformed('digest is not a text string', 'digest');
  if (digest !== 'SHA384') throw new AttestationError('evidence_unsupported_version', 'PCR digest is not SHA384', 'nitro.payload.digest', digest);
  const timestamp = required(doc, 'timestamp');
  if (typeof timestamp !== 'number' || timestamp <= 0) throw malformed('timestamp is not a positive integer (ms since the epoch)', 'timestamp');

  const cabundle = required(doc, 'cabundle');
  if (!Array.isArray(cabundle) || cabundle.length === 0 || cabundle.length > NITRO_LIMITS.maxCabundle) {
    throw malformed(`cabundle is not an array of 1 to ${NITRO_LIMITS.maxCabundle} certificates`, 'cabundle');
  }
  const publicKey = optional(doc, 'public_key');
  const userData = optional(doc, 'user_data');
  const nonce = optional(doc, 'nonce');
  return {
    moduleId,
    digest,
    timestamp,
    pcrs: parsePcrs(required(doc, 'pcrs')),
    certificate: byteString(required(doc, 'certificate'), 'certificate', 1, NITRO_LIMITS.maxCertificateBytes),
    cabundle: (cabundle as readonly CborValue[]).map((c, i) => byteString(c, `cabundle[${i}]`, 1, NITRO_LIMITS.maxCertificateBytes)),
    ...(publicKey ? { publicKey } : {}),
    ...(userData ? { userData } : {}),
    ...(nonce ? { nonce } : {}),
  };
}
