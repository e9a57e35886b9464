import { AttestationError } from '../attestation.error.js';

/** One DER TLV. `bytes` is the whole encoding (tag, length, content); `content` is the value only. */
export interface DerNode {
  readonly tag: number;
  readonly bytes: Uint8Array;
  readonly content: Uint8Array;
}

export const DER_TAG = {
  boolean: 0x01,
  integer: 0x02,
  bitString: 0x03,
  octetString: 0x04,
  null: 0x05,
  oid: 0x06,
  enumerated: 0x0a,
  utf8String: 0x0c,
  printableString: 0x13,
  ia5String: 0x16,
  utcTime: 0x17,
  generalizedTime: 0x18,
  sequence: 0x30,
  set: 0x31,
} as const;

function malformed(what: string, detail?: string): AttestationError {
  return new AttestationError('evidence_malformed', 'DER structure is malformed', what, detail);
}

/** Reads one TLV at `offset` (definite lengths only, as DER requires). */
export function readDerAt(buf: Uint8Array, offset: number, what: string): DerNode {
  const tag = buf[offset];
  const first = buf[offset + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) throw malformed(what, 'tag');
  let length = first;
  let header = 2;
  if (first & 0x80) {
    const count = first & 0x7f;
    if (count === 0 || count > 4) throw malformed(what, 'length');
    length = 0;
    for (let i = 0; i < count; i++) {
      const b = buf[offset + 2 + i];
      if (b === undefined) throw malformed(what, 'length');
      length = length * 256 + b;
    }
    header += count;
  }
  const end = offset + header + length;
  if (end > buf.length) throw malformed(what, 'truncated');
  return { tag, bytes: buf.subarray(offset, end), content: buf.subarray(offset + header, end) };
}

/** Reads exactly one TLV spanning all of `buf`. */
export function readDer(buf: Uint8Array, what: string): DerNode {
  const node = readDerAt(buf, 0, what);
  if (node.bytes.length !== buf.length) throw malformed(what, 'trailing bytes');
  return node;
}

export function derChildren(node: DerNode, what: string): DerNode[] {
  const out: DerNode[] = [];
  let offset = 0;
  while (offset < node.content.length) {
    const child = readDerAt(node.content, offset, what);
    out.push(child);
    offset += child.bytes.length;
  }
  return out;
}

export function expectTag(node: DerNode | undefined, tag: number, what: string): DerNode {
  if (!node || node.tag !== tag) throw malformed(what, `expected tag 0x${tag.toString(16)}`);
  return node;
}

export function derOid(node: DerNode, what: string): string {
  const c = expectTag(node, DER_TAG.oid, what).content;
  if (c.length === 0) throw malformed(what, 'empty OID');
  const parts: number[] = [];
  let value = 0;
  for (const b of c) {
    value = value * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(value);
      value = 0;
    }
  }
  const head = parts.shift() ?? 0;
  const first = head < 80 ? Math.floor(head / 40) : 2;
  return [first, head - first * 40, ...parts].join('.');
}

/** Non-negative INTEGER (or, with `tag`, ENUMERATED) as a JS number (throws beyond 2^53). */
export function derSmallInteger(node: DerNode, what: string, tag: number = DER_TAG.integer): number {
  const c = expectTag(node, tag, what).content;
  if (c.length === 0 || (c[0] ?? 0) & 0x80) throw malformed(what, 'negative or empty integer');
  let v = 0;
  for (const b of c) v = v * 256 + b;
  if (!Number.isSafeInteger(v)) throw malformed(what, 'integer too large');
  return v;
}

/** INTEGER content as lower-case hex without redundant leading zero bytes (serial numbers). */
export function derIntegerHex(node: DerNode, what: string): string {
  let c = expectTag(node, DER_TAG.integer, what).content;
  while (c.length > 1 && c[0] === 0) c = c.subarray(1);
  return Buffer.from(c).toString('hex');
}

export function derBitStringBytes(node: DerNode, what: string): Uint8Array {
  const c = expectTag(node, DER_TAG.bitString, what).content;
  if (c[0] !== 0) throw malformed(what, 'bit string with unused bits');
  return c.subarray(1);
}

export function derTime(node: DerNode, what: string): Date {
  const text = Buffer.from(node.content).toString('latin1');
  const m =
    node.tag === DER_TAG.utcTime
      ? /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
      : node.tag === DER_TAG.generalizedTime
        ? /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text)
        : null;
  if (!m) throw malformed(what, 'time');
  let year = Number(m[1]);
  if (node.tag === DER_TAG.utcTime) year += year < 50 ? 2000 : 1900;
  return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
}

/** Byte equality of two encodings (names, certificates, digests): none of them is secret, so no constant time. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

export function derString(node: DerNode): string {
  return Buffer.from(node.content).toString(node.tag === DER_TAG.utf8String ? 'utf8' : 'latin1');
}
