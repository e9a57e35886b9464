import { EnvelopeError } from '../envelope.error.js';
import { assertKeyId, assertKeyVersion } from '../keys/data-key.js';

/**
 * Header of a sealed blob (all integers big-endian):
 *
 *   magic "CFSB" (4) | format version (1) | header length (2) | segment size (4) | key version (4)
 *   | key id length (1) | key id (n, ASCII) | salt (32) | nonce prefix (7) | key commitment (32)
 *
 * Everything before the commitment is bound into the per-blob key derivation, so any edit to it (segment size,
 * salt, nonce prefix, key id or version) changes the derived key and the commitment check fails.
 */
export const SEALED_BLOB_MAGIC = Buffer.from('CFSB', 'ascii');
export const SEALED_BLOB_FORMAT_VERSION = 1;
export const SALT_LENGTH = 32;
export const NONCE_PREFIX_LENGTH = 7;
export const COMMITMENT_LENGTH = 32;
export const TAG_LENGTH = 16;
/** Bytes needed before the header length is known. */
export const HEADER_FIXED_PREFIX = 7;
export const MIN_SEGMENT_SIZE = 64;
export const MAX_SEGMENT_SIZE = 16 * 1024 * 1024;
export const DEFAULT_SEGMENT_SIZE = 1024 * 1024;

export interface SealedBlobHeader {
  readonly formatVersion: number;
  /** Plaintext bytes per segment; the ciphertext segment is this plus a 16-byte tag. */
  readonly segmentSize: number;
  readonly keyId: string;
  readonly keyVersion: number;
  readonly salt: Buffer;
  readonly noncePrefix: Buffer;
  readonly commitment: Buffer;
  /** The header bytes that precede the commitment (bound into key derivation). */
  readonly boundBytes: Buffer;
  readonly length: number;
}

export function assertSegmentSize(segmentSize: number): void {
  if (!Number.isInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new EnvelopeError(
      'invalid_segment_size',
      `segment size must be an integer in ${MIN_SEGMENT_SIZE}..${MAX_SEGMENT_SIZE}`,
    );
  }
}

/** Serialises the part of the header that precedes the commitment. */
export function encodeBoundHeader(fields: {
  segmentSize: number;
  keyId: string;
  keyVersion: number;
  salt: Buffer;
  noncePrefix: Buffer;
}): Buffer {
  assertSegmentSize(fields.segmentSize);
  assertKeyId(fields.keyId);
  assertKeyVersion(fields.keyVersion);
  const keyId = Buffer.from(fields.keyId, 'ascii');
  const total = HEADER_FIXED_PREFIX + 4 + 4 + 1 + keyId.length + SALT_LENGTH + NONCE_PREFIX_LENGTH + COMMITMENT_LENGTH;
  const out = Buffer.alloc(total - COMMITMENT_LENGTH);
  let o = SEALED_BLOB_MAGIC.copy(out, 0);
  o = out.writeUInt8(SEALED_BLOB_FORMAT_VERSION, o);
  o = out.writeUInt16BE(total, o);
  o = out.writeUInt32BE(fields.segmentSize, o);
  o = out.writeUInt32BE(fields.keyVersion, o);
  o = out.writeUInt8(keyId.length, o);
  o += keyId.copy(out, o);
  o += fields.salt.copy(out, o);
  fields.noncePrefix.copy(out, o);
  return out;
}

/** Reads the declared header length from the first 7 bytes, checking magic and version on the way. */
export function peekHeaderLength(prefix: Buffer): number {
  if (!prefix.subarray(0, 4).equals(SEALED_BLOB_MAGIC)) {
    throw new EnvelopeError('header_bad_magic', 'not a sealed blob (bad magic)');
  }
  const version = prefix.readUInt8(4);
  if (version !== SEALED_BLOB_FORMAT_VERSION) {
    throw new EnvelopeError('header_unsupported_version', `unsupported sealed-blob format version ${version}`);
  }
  const length = prefix.readUInt16BE(5);
  const minimum = HEADER_FIXED_PREFIX + 9 + 1 + SALT_LENGTH + NONCE_PREFIX_LENGTH + COMMITMENT_LENGTH;
  if (length < minimum || length > minimum + 127) {
    throw new EnvelopeError('header_malformed', 'sealed-blob header length out of range');
  }
  return length;
}

export function decodeHeader(bytes: Buffer): SealedBlobHeader {
  if (bytes.length < HEADER_FIXED_PREFIX) throw new EnvelopeError('blob_truncated', 'sealed blob ends inside its header');
  const length = peekHeaderLength(bytes);
  if (bytes.length < length) throw new EnvelopeError('blob_truncated', 'sealed blob ends inside its header');
  let o = HEADER_FIXED_PREFIX;
  const segmentSize = bytes.readUInt32BE(o);
  o += 4;
  const keyVersion = bytes.readUInt32BE(o);
  o += 4;
  const keyIdLength = bytes.readUInt8(o);
  o += 1;
  if (o + keyIdLength + SALT_LENGTH + NONCE_PREFIX_LENGTH + COMMITMENT_LENGTH !== length) {
    throw new EnvelopeError('header_malformed', 'sealed-blob header fields do not add up to its length');
  }
  const keyId = bytes.toString('ascii', o, o + keyIdLength);
  o += keyIdLength;
  const salt = Buffer.from(bytes.subarray(o, o + SALT_LENGTH));
  o += SALT_LENGTH;
  const noncePrefix = Buffer.from(bytes.subarray(o, o + NONCE_PREFIX_LENGTH));
  o += NONCE_PREFIX_LENGTH;
  const commitment = Buffer.from(bytes.subarray(o, o + COMMITMENT_LENGTH));
  try {
    assertSegmentSize(segmentSize);
    assertKeyId(keyId);
    assertKeyVersion(keyVersion);
  } catch {
    throw new EnvelopeError('header_malformed', 'sealed-blob header carries an invalid field');
  }
  return {
    formatVersion: SEALED_BLOB_FORMAT_VERSION,
    segmentSize,
    keyId,
    keyVersion,
    salt,
    noncePrefix,
    commitment,
    boundBytes: Buffer.from(bytes.subarray(0, length - COMMITMENT_LENGTH)),
    length,
  };
}
