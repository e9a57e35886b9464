import { AttestationError } from '../attestation.error.js';

/** One DER TLV: `raw` is the whole encoding (tag + length + value), `value` the contents. */
export interface DerNode {
  readonly tag: number;
  readonly raw: Uint8Array;
  readonly value: Uint8Array;
}

function malformed(what: string): AttestationError {
  return new AttestationError('evidence_malformed', 'DER structure is malformed', what);
}

/** Reads the TLV starting at `offset`; only definite lengths (DER) are accepted. */
export function readDer(bytes: Uint8Array, offset = 0, what = 'der'): DerNode {
  if (offset + 2 > bytes.length) throw malformed(what);
  const tag = bytes[offset]!;
  if ((tag & 0x1f) === 0x1f) throw malformed(what);
  let length = bytes[offset + 1]!;
  let header = 2;
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4 || offset + 2 + count > bytes.length) throw malformed(what);
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + bytes[offset + 2 + i]!;
    header += count;
  }
  const end = offset + header + length;
  if (end > bytes.length) throw malformed(what);
  return { tag, raw: bytes.subarray(offset, end), value: bytes.subarray(offset + header, end) };
}

/** The children of a constructed node (SEQUENCE, SET, context-specific constructed). */
export function derChildren(node: DerNode, what = 'der'): DerNode[] {
  const children: DerNode[] = [];
  let offset = 0;
  while (offset < node.value.length) {
    const child = readDer(node.value, offset, what);
    children.push(child);
    offset += child.raw.length;
  }
  return children;
}

export function derChild(children: readonly DerNode[], index: number, what: string): DerNode {
  const child = children[index];
  if (!child) throw malformed(what);
  return child;
}

/** Dotted-decimal text of an OBJECT IDENTIFIER value. */
export function derOid(node: DerNode): string {
  if (node.tag !== 0x06 || node.value.length === 0) throw malformed('oid');
  const first = node.value[0]!;
  const parts = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let acc = 0;
  for (let i = 1; i < node.value.length; i++) {
    const b = node.value[i]!;
    acc = acc * 128 + (b & 0x7f);
    if (!(b & 0x80)) {
      parts.push(acc);
      acc = 0;
    }
  }
  return parts.join('.');
}

/** Non-negative INTEGER (or ENUMERATED) as a number; SGX SVNs and PCE SVN fit easily. */
export function derSmallInt(node: DerNode, what: string): number {
  if ((node.tag !== 0x02 && node.tag !== 0x0a) || node.value.length === 0 || node.value.length > 6) throw malformed(what);
  let n = 0;
  for (const b of node.value) n = n * 256 + b;
  return n;
}

/** UTCTime / GeneralizedTime as a Date. */
export function derTime(node: DerNode, what: string): Date {
  const text = new TextDecoder().decode(node.value);
  let m: RegExpMatchArray | null;
  if (node.tag === 0x17 && (m = /^(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    const yy = Number(m[1]);
    const year = yy >= 50 ? 1900 + yy : 2000 + yy;
    return new Date(Date.UTC(year, Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  if (node.tag === 0x18 && (m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})Z$/.exec(text))) {
    return new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])));
  }
  throw malformed(what);
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** Canonical hex of an INTEGER's magnitude (leading zero bytes dropped), for serial number comparison. */
export function derIntegerHex(node: DerNode): string {
  let start = 0;
  while (start < node.value.length - 1 && node.value[start] === 0) start++;
  return toHex(node.value.subarray(start));
}
