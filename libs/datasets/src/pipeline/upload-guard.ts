import { createHash, type Hash } from 'node:crypto';
import { DatasetError } from '../datasets.error.js';
import type { ByteChunks } from '../parse/line-splitter.js';

const SIGNATURES: ReadonlyArray<{ bytes: number[]; code: 'compressed_upload_not_supported' | 'archive_not_supported'; what: string }> = [
  { bytes: [0x1f, 0x8b], code: 'compressed_upload_not_supported', what: 'gzip' },
  { bytes: [0x28, 0xb5, 0x2f, 0xfd], code: 'compressed_upload_not_supported', what: 'zstd' },
  { bytes: [0x42, 0x5a, 0x68], code: 'compressed_upload_not_supported', what: 'bzip2' },
  { bytes: [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], code: 'compressed_upload_not_supported', what: 'xz' },
  { bytes: [0x50, 0x4b, 0x03, 0x04], code: 'archive_not_supported', what: 'zip' },
  { bytes: [0x50, 0x4b, 0x05, 0x06], code: 'archive_not_supported', what: 'zip' },
  { bytes: [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c], code: 'archive_not_supported', what: '7z' },
  { bytes: [0x52, 0x61, 0x72, 0x21], code: 'archive_not_supported', what: 'rar' },
];

/**
 * Refuses compressed and archive uploads by their magic bytes: confide never inflates user data, so decompression
 * bombs and archive headers declaring huge sizes cannot reach a parser.
 */
export function refuseCompressed(head: Uint8Array): void {
  for (const s of SIGNATURES) {
    if (head.length >= s.bytes.length && s.bytes.every((b, i) => head[i] === b)) {
      throw new DatasetError(s.code, `${s.what} uploads are not accepted; send the uncompressed JSONL or CSV`);
    }
  }
}

export interface MeteredUpload {
  readonly source: AsyncGenerator<Buffer>;
  /** Bytes read so far. */
  bytes(): number;
  /** SHA-256 (hex) of everything read; complete once `source` is exhausted. */
  sha256(): string;
}

/**
 * Wraps an upload stream: enforces `maxBytes` as bytes arrive (`upload_too_large`, whatever Content-Length said),
 * refuses compressed/archive content from the first bytes, and hashes the raw bytes for idempotent restarts.
 */
export function meterUpload(source: ByteChunks, maxBytes: number): MeteredUpload {
  let total = 0;
  const hash: Hash = createHash('sha256');
  let digest: string | undefined;
  async function* run(): AsyncGenerator<Buffer> {
    let head: Buffer | undefined = Buffer.alloc(0);
    for await (const raw of source) {
      const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
      total += chunk.length;
      if (total > maxBytes) throw new DatasetError('upload_too_large', `the upload exceeds the limit of ${maxBytes} bytes`);
      hash.update(chunk);
      if (head !== undefined) {
        head = Buffer.concat([head, chunk.subarray(0, 8)]);
        if (head.length >= 8) {
          refuseCompressed(head);
          head = undefined;
        }
      }
      yield chunk;
    }
    if (head !== undefined) refuseCompressed(head);
    digest = hash.digest('hex');
  }
  return {
    source: run(),
    bytes: () => total,
    sha256: () => {
      if (digest === undefined) throw new DatasetError('upload_aborted', 'the upload was not read to its end');
      return digest;
    },
  };
}
