import { isAscii, isUtf8 } from 'node:buffer';

export type ByteChunks = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

/** One physical line, decoded, or the reason it could not be. */
export interface DecodedLine {
  /** 1-based. */
  readonly line: number;
  /** The text without its line ending; empty when `problem` is set. */
  readonly text: string;
  readonly problem?: 'invalid_utf8' | 'nul_byte' | 'line_too_long';
  /** False only for a last line with no newline after it. */
  readonly terminated: boolean;
  readonly crlf: boolean;
  /** Bytes of the line in the input, including its line ending. */
  readonly bytes: number;
  /** A UTF-8 byte order mark was stripped from the start (line 1 only). */
  readonly bomStripped: boolean;
}

const BOM = [0xef, 0xbb, 0xbf];

/**
 * Splits a byte stream into lines and decodes each one strictly (UTF-8, no NUL), so an error carries its line
 * number. Holds at most one line plus one chunk; a line longer than `maxLineBytes` is counted and dropped as it
 * streams instead of being buffered.
 */
export async function* splitLines(source: ByteChunks, maxLineBytes: number): AsyncGenerator<DecodedLine> {
  let parts: Buffer[] = [];
  let partBytes = 0;
  let lineBytes = 0;
  let tooLong = false;
  let line = 0;

  const emit = (tail: Buffer, terminated: boolean): DecodedLine => {
    line++;
    const total = lineBytes + (terminated ? 1 : 0);
    if (tooLong) {
      const out: DecodedLine = { line, text: '', problem: 'line_too_long', terminated, crlf: false, bytes: total, bomStripped: false };
      parts = [];
      partBytes = 0;
      lineBytes = 0;
      tooLong = false;
      return out;
    }
    let buf = parts.length === 0 ? tail : Buffer.concat([...parts, tail], partBytes + tail.length);
    parts = [];
    partBytes = 0;
    lineBytes = 0;
    let bomStripped = false;
    if (line === 1 && buf.length >= 3 && buf[0] === BOM[0] && buf[1] === BOM[1] && buf[2] === BOM[2]) {
      buf = buf.subarray(3);
      bomStripped = true;
    }
    const crlf = buf.length > 0 && buf[buf.length - 1] === 0x0d;
    if (crlf) buf = buf.subarray(0, buf.length - 1);
    const base = { line, terminated, crlf, bytes: total, bomStripped };
    if (buf.indexOf(0) >= 0) return { ...base, text: '', problem: 'nul_byte' };
    if (!isUtf8(buf)) return { ...base, text: '', problem: 'invalid_utf8' };
    return { ...base, text: buf.toString('utf8') };
  };

  for await (const raw of source) {
    const chunk = Buffer.isBuffer(raw) ? raw : Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength);
    let from = 0;
    // The lines wholly inside this chunk, when they are plain ASCII without NUL (nearly always): one check for all
    // of them instead of a NUL search and a UTF-8 check per line. ASCII splits into valid lines at any '\n', has no
    // BOM, and decodes byte for byte. Each line is its own string (no slice of a chunk-sized one to keep alive).
    const last = lineBytes === 0 && !tooLong ? chunk.lastIndexOf(0x0a) : -1;
    if (last > 0 && isAscii(chunk.subarray(0, last)) && chunk.indexOf(0) < 0) {
      while (from <= last) {
        const nl = chunk.indexOf(0x0a, from);
        line++;
        const length = nl - from;
        if (length > maxLineBytes) yield { line, text: '', problem: 'line_too_long', terminated: true, crlf: false, bytes: length + 1, bomStripped: false };
        else {
          const crlf = length > 0 && chunk[nl - 1] === 0x0d;
          yield { line, terminated: true, crlf, bytes: length + 1, bomStripped: false, text: chunk.toString('latin1', from, crlf ? nl - 1 : nl) };
        }
        from = nl + 1;
      }
    }
    for (;;) {
      const nl = chunk.indexOf(0x0a, from);
      const end = nl < 0 ? chunk.length : nl;
      const piece = chunk.subarray(from, end);
      lineBytes += piece.length;
      if (!tooLong && lineBytes > maxLineBytes) {
        tooLong = true;
        parts = [];
        partBytes = 0;
      }
      if (nl < 0) {
        if (!tooLong && piece.length > 0) {
          // Copy: the caller may reuse its chunk buffers.
          parts.push(Buffer.from(piece));
          partBytes += piece.length;
        }
        break;
      }
      yield emit(tooLong ? Buffer.alloc(0) : piece, true);
      from = nl + 1;
    }
  }
  if (lineBytes > 0 || tooLong) yield emit(Buffer.alloc(0), false);
}
