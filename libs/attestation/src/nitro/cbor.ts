import { AttestationError } from '../attestation.error.js';

/**
 * A strict decoder for the subset of CBOR (RFC 8949) that COSE_Sign1 and AWS Nitro attestation documents use:
 * unsigned and negative integers, byte and text strings, arrays, maps, tags and the simple values false, true,
 * null and undefined, all with definite lengths. Evidence comes from an untrusted host, so anything a second
 * decoder could read differently is refused: indefinite lengths, non-preferred (non-minimal) argument encodings,
 * duplicate map keys, invalid UTF-8, reserved additional-information values, floats and trailing bytes. Depth, item
 * counts and total size are bounded before anything is allocated.
 */

/** A decoded map: entries in the order they were encoded (COSE and Nitro do not require canonical order). */
export class CborMap {
  constructor(readonly entries: readonly (readonly [CborValue, CborValue])[]) {}

  get size(): number {
    return this.entries.length;
  }

  /** The value under an integer or text key (keys compare by type and value: 1 and "1" differ). */
  get(key: number | string): CborValue | undefined {
    return this.entries.find(([k]) => k === key)?.[1];
  }

  keys(): CborValue[] {
    return this.entries.map(([k]) => k);
  }
}

export class CborTag {
  constructor(
    readonly tag: number,
    readonly value: CborValue,
  ) {}
}

/**
 * Integers are `number` when they are safe integers and `bigint` otherwise (a 64-bit argument may exceed 2^53).
 * Byte strings are views into the input; they stay valid while the input is not modified.
 */
export type CborValue = number | bigint | Uint8Array | string | readonly CborValue[] | CborMap | CborTag | boolean | null | undefined;

export interface CborLimits {
  /** Largest input accepted, in bytes. */
  readonly maxBytes: number;
  /** Deepest nesting of arrays, maps and tags (the top-level item is depth 0). */
  readonly maxDepth: number;
  /** Most elements in one array, or entries in one map. */
  readonly maxItems: number;
}

export const DEFAULT_CBOR_LIMITS: CborLimits = { maxBytes: 1 << 20, maxDepth: 16, maxItems: 4096 };

const MAJOR = { uint: 0, nint: 1, bytes: 2, text: 3, array: 4, map: 5, tag: 6, simple: 7 } as const;
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

class Reader {
  private offset = 0;

  constructor(
    private readonly input: Uint8Array,
    private readonly limits: CborLimits,
    private readonly what: string,
  ) {}

  get remaining(): number {
    return this.input.length - this.offset;
  }

  fail(message: string, path: string, detail?: string): AttestationError {
    return new AttestationError('evidence_malformed', message, `${this.what}${path}`, `${detail ?? message} at byte ${this.offset}`);
  }

  private byte(path: string): number {
    const b = this.input[this.offset];
    if (b === undefined) throw this.fail('CBOR is truncated', path);
    this.offset++;
    return b;
  }

  private take(length: number, path: string): Uint8Array {
    if (length > this.remaining) throw this.fail('CBOR is truncated', path, `${length} bytes declared, ${this.remaining} left`);
    const out = this.input.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }

  /** The argument of a head (RFC 8949 §3), refusing indefinite lengths and encodings longer than needed. */
  private argument(info: number, path: string): number | bigint {
    if (info < 24) return info;
    let value: number | bigint;
    let minimum: number | bigint;
    switch (info) {
      case 24:
        value = this.byte(path);
        minimum = 24;
        break;
      case 25: {
        const b = this.take(2, path);
        value = (b[0]! << 8) | b[1]!;
        minimum = 0x100;
        break;
      }
      case 26: {
        const b = this.take(4, path);
        value = ((b[0]! << 24) >>> 0) + ((b[1]! << 16) | (b[2]! << 8) | b[3]!);
        minimum = 0x10000;
        break;
      }
      case 27: {
        const b = this.take(8, path);
        const big = new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
        value = big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
        minimum = 0x100000000;
        break;
      }
      case 31:
        throw this.fail('CBOR indefinite lengths are not accepted', path);
      default:
        throw this.fail('CBOR head uses a reserved additional-information value', path, `additional information ${info}`);
    }
    if (value < minimum) throw this.fail('CBOR integer or length is not minimally encoded', path);
    return value;
  }

  /** A length or count, which must fit what is left of the input (each item takes at least one byte). */
  private length(info: number, path: string, kind: string): number {
    const n = this.argument(info, path);
    if (typeof n === 'bigint' || n > this.remaining) {
      throw this.fail('CBOR is truncated', path, `${kind} of ${String(n)} declared, ${this.remaining} bytes left`);
    }
    return n;
  }

  item(depth: number, path: string): CborValue {
    if (depth > this.limits.maxDepth) throw this.fail('CBOR nesting is too deep', path);
    const head = this.byte(path);
    const major = head >> 5;
    const info = head & 0x1f;
    switch (major) {
      case MAJOR.uint:
        return this.argument(info, path);
      case MAJOR.nint: {
        const n = this.argument(info, path);
        // -1 - n; for n up to 2^53 - 2 the result is still a safe integer
        return typeof n === 'number' && n < Number.MAX_SAFE_INTEGER ? -1 - n : -1n - BigInt(n);
      }
      case MAJOR.bytes:
        return this.take(this.length(info, path, 'byte string'), path);
      case MAJOR.text: {
        const bytes = this.take(this.length(info, path, 'text string'), path);
        try {
          return utf8.decode(bytes);
        } catch {
          throw this.fail('CBOR text string is not valid UTF-8', path);
        }
      }
      case MAJOR.array: {
        const count = this.length(info, path, 'array');
        if (count > this.limits.maxItems) throw this.fail('CBOR array has too many elements', path, `${count} elements`);
        const out: CborValue[] = [];
        for (let i = 0; i < count; i++) out.push(this.item(depth + 1, `${path}[${i}]`));
        return out;
      }
      case MAJOR.map: {
        const count = this.length(info, path, 'map');
        if (count > this.limits.maxItems) throw this.fail('CBOR map has too many entries', path, `${count} entries`);
        const entries: [CborValue, CborValue][] = [];
        const seen = new Set<string>();
        for (let i = 0; i < count; i++) {
          const keyStart = this.offset;
          const key = this.item(depth + 1, `${path}{key ${i}}`);
          // Argument encodings are minimal, so equal keys have equal bytes: compare the encodings.
          const encoded = Buffer.from(this.input.buffer, this.input.byteOffset + keyStart, this.offset - keyStart).toString('latin1');
          if (seen.has(encoded)) throw this.fail('CBOR map has a duplicate key', `${path}.${keyLabel(key)}`);
          seen.add(encoded);
          entries.push([key, this.item(depth + 1, `${path}.${keyLabel(key)}`)]);
        }
        return new CborMap(entries);
      }
      case MAJOR.tag: {
        const tag = this.argument(info, path);
        if (typeof tag === 'bigint') throw this.fail('CBOR tag number is too large', path);
        return new CborTag(tag, this.item(depth + 1, `${path}(tag ${tag})`));
      }
      default:
        return this.simple(info, path);
    }
  }

  private simple(info: number, path: string): CborValue {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25:
      case 26:
      case 27:
        throw this.fail('CBOR floating-point values are not accepted', path);
      case 31:
        throw this.fail('CBOR break outside an indefinite-length item', path);
      default:
        throw this.fail('CBOR simple value is not accepted', path, `simple value ${info}`);
    }
  }
}

function keyLabel(key: CborValue): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'number' || typeof key === 'bigint') return String(key);
  return '(key)';
}

/**
 * Decodes exactly one CBOR data item that spans all of `input`. Every failure is `evidence_malformed` with the
 * target naming `what` and the path to the offending item (e.g. `nitro.payload.pcrs.3`).
 */
export function decodeCbor(input: Uint8Array, what: string, limits: CborLimits = DEFAULT_CBOR_LIMITS): CborValue {
  if (input.length > limits.maxBytes) {
    throw new AttestationError('evidence_malformed', 'CBOR input is too large', what, `${input.length} bytes`);
  }
  const reader = new Reader(input, limits, what);
  const value = reader.item(0, '');
  if (reader.remaining > 0) throw reader.fail('CBOR has trailing bytes after the data item', '', `${reader.remaining} trailing bytes`);
  return value;
}

function encodeHead(major: number, n: number | bigint): Uint8Array {
  const first = major << 5;
  if (typeof n === 'bigint') {
    if (n < 0n || n > 0xffffffffffffffffn) throw new RangeError('CBOR argument out of range');
    if (n <= BigInt(Number.MAX_SAFE_INTEGER)) return encodeHead(major, Number(n));
    const out = new Uint8Array(9);
    out[0] = first | 27;
    new DataView(out.buffer).setBigUint64(1, n);
    return out;
  }
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError('CBOR argument out of range');
  if (n < 24) return Uint8Array.of(first | n);
  if (n < 0x100) return Uint8Array.of(first | 24, n);
  if (n < 0x10000) return Uint8Array.of(first | 25, n >> 8, n & 0xff);
  if (n < 0x100000000) return Uint8Array.of(first | 26, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
  const out = new Uint8Array(9);
  out[0] = first | 27;
  new DataView(out.buffer).setBigUint64(1, BigInt(n));
  return out;
}

/**
 * Encodes a value with preferred (minimal) argument encodings and definite lengths, map entries in the given
 * order. Confide needs it for the COSE Sig_structure; tests use it to build documents.
 */
export function encodeCbor(value: CborValue): Uint8Array {
  const parts: Uint8Array[] = [];
  const walk = (v: CborValue): void => {
    if (typeof v === 'number' || typeof v === 'bigint') {
      if (typeof v === 'number' && !Number.isSafeInteger(v)) throw new RangeError('CBOR encoder takes integers only');
      if (v >= 0) parts.push(encodeHead(MAJOR.uint, v));
      else parts.push(encodeHead(MAJOR.nint, typeof v === 'bigint' ? -1n - v : -1 - v));
    } else if (v instanceof Uint8Array) {
      parts.push(encodeHead(MAJOR.bytes, v.length), v);
    } else if (typeof v === 'string') {
      const b = new TextEncoder().encode(v);
      parts.push(encodeHead(MAJOR.text, b.length), b);
    } else if (Array.isArray(v)) {
      parts.push(encodeHead(MAJOR.array, v.length));
      for (const item of v as readonly CborValue[]) walk(item);
    } else if (v instanceof CborMap) {
      parts.push(encodeHead(MAJOR.map, v.size));
      for (const [k, item] of v.entries) {
        walk(k);
        walk(item);
      }
    } else if (v instanceof CborTag) {
      parts.push(encodeHead(MAJOR.tag, v.tag));
      walk(v.value);
    } else if (v === false || v === true || v === null || v === undefined) {
      parts.push(Uint8Array.of(0xe0 | (v === false ? 20 : v === true ? 21 : v === null ? 22 : 23)));
    } else {
      throw new RangeError('CBOR encoder cannot encode this value');
    }
  };
  walk(value);
  return new Uint8Array(Buffer.concat(parts));
}
