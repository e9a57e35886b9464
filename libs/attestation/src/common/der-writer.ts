/** Minimal DER encoding: the development PKI's vendor extensions, and key re-wrapping for WebCrypto. */
function length(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function tlv(tag: number, content: Uint8Array): Uint8Array {
  return new Uint8Array(Buffer.concat([Uint8Array.of(tag), length(content.length), content]));
}

export const derSequence = (...items: Uint8Array[]): Uint8Array => tlv(0x30, new Uint8Array(Buffer.concat(items)));
export const derOctets = (bytes: Uint8Array): Uint8Array => tlv(0x04, bytes);
export const derIa5 = (s: string): Uint8Array => tlv(0x16, new Uint8Array(Buffer.from(s, 'latin1')));
export const derUtf8 = (s: string): Uint8Array => tlv(0x0c, new Uint8Array(Buffer.from(s, 'utf8')));

export function derInteger(n: number, tag = 0x02): Uint8Array {
  const bytes = n === 0 ? [0] : [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
  return tlv(tag, Uint8Array.from(bytes));
}

export function derOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map(Number);
  const out: number[] = [40 * arcs[0]! + arcs[1]!];
  for (const arc of arcs.slice(2)) {
    const chunk: number[] = [arc & 0x7f];
    for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Uint8Array.from(out));
}
