import { isUtf8 } from 'node:buffer';
import { describe, expect, it } from '@jest/globals';
import { splitLines, type ByteChunks, type DecodedLine } from './line-splitter.js';

// The splitter as it was before whole-chunk ASCII runs were checked once: the oracle.
const BOM = [0xef, 0xbb, 0xbf];

async function* previousSplitLines(source: ByteChunks, maxLineBytes: number): AsyncGenerator<DecodedLine> {
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

function rng(seed: number): () => number {
  // Small seeds spread over all 32 bits: xorshift starts slowly from a few set bits.
  let x = Math.imul(seed, 0x9e3779b1) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

async function collect(lines: AsyncIterable<DecodedLine>): Promise<DecodedLine[]> {
  const out: DecodedLine[] = [];
  for await (const l of lines) out.push(l);
  return out;
}

const PIECES = ['{"a":"plain ascii"}', 'x', '', '\r', 'é', '日本', '😀', '\u0000', '\ufeff', 'y'.repeat(40)].map((p) => Buffer.from(p));
// Invalid UTF-8: a lone continuation byte, a truncated sequence, an overlong encoding.
const BAD = [Buffer.from([0x80]), Buffer.from([0xe6, 0x97]), Buffer.from([0xc0, 0xaf])];

describe('splitLines', () => {
  it('yields what the per-line splitter yielded, on generated streams cut into random chunks', async () => {
    for (let seed = 1; seed <= 600; seed++) {
      const r = rng(seed);
      const parts: Buffer[] = [];
      const lines = 1 + Math.floor(r() * 30);
      for (let i = 0; i < lines; i++) {
        const n = Math.floor(r() * 4);
        for (let k = 0; k < n; k++) parts.push(r() < 0.03 ? BAD[Math.floor(r() * BAD.length)]! : r() < 0.75 ? PIECES[0]! : PIECES[Math.floor(r() * PIECES.length)]!);
        if (r() < 0.1) parts.push(Buffer.from('\r'));
        if (i < lines - 1 || r() < 0.7) parts.push(Buffer.from('\n'));
      }
      const all = Buffer.concat(parts);
      const chunks: Buffer[] = [];
      // Half the streams are cut right after a newline, as uploads mostly are (whole lines per chunk).
      const atLineEnds = r() < 0.5;
      for (let at = 0; at < all.length; ) {
        let size = r() < 0.3 ? 1 + Math.floor(r() * 8) : 1 + Math.floor(r() * 400);
        const nl = all.indexOf(0x0a, at + size - 1);
        if (atLineEnds && nl >= 0) size = nl + 1 - at;
        chunks.push(all.subarray(at, at + size));
        at += size;
      }
      const max = r() < 0.3 ? 30 : 4096;
      expect([seed, await collect(splitLines(chunks, max))]).toEqual([seed, await collect(previousSplitLines(chunks, max))]);
    }
  });
});
