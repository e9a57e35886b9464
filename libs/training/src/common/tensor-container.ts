import { TrainingError, type TrainingErrorCode } from '../training.error.js';

/**
 * A small self-describing container for float32 tensors: the model export and checkpoint format.
 *
 *   "CFTM" | u8 version=1 | 3 zero bytes | u32le header length | header JSON (UTF-8) | zero padding to 4 bytes |
 *   tensors in header order, each either dense (length × f32le) or sparse (u32le count, count × u32le index
 *   strictly increasing, count × f32le value)
 *
 * The writer picks sparse for a tensor when that is smaller (hashed-feature weights are mostly zero). Decoding is
 * strict: exact total length, finite values, in-range increasing indices; anything else is refused.
 */
export interface ContainerHeader<M> {
  readonly kind: string;
  readonly meta: M;
}

interface TensorEntry {
  readonly name: string;
  readonly length: number;
  readonly encoding: 'dense' | 'sparse';
}

const MAGIC = [0x43, 0x46, 0x54, 0x4d]; // "CFTM"
const VERSION = 1;
const MAX_HEADER = 1 << 20;
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function encodeContainer<M>(
  kind: string,
  meta: M,
  tensors: readonly (readonly [string, Float32Array])[],
): Uint8Array {
  const entries: TensorEntry[] = [];
  let body = 0;
  for (const [name, data] of tensors) {
    let nonZero = 0;
    for (const v of data) if (v !== 0) nonZero++;
    const sparse = 4 + nonZero * 8 < data.length * 4;
    entries.push({ name, length: data.length, encoding: sparse ? 'sparse' : 'dense' });
    body += sparse ? 4 + nonZero * 8 : data.length * 4;
  }
  const header = encoder.encode(JSON.stringify({ kind, meta, tensors: entries }));
  const headerEnd = align4(12 + header.length);
  const out = new Uint8Array(headerEnd + body);
  out.set(MAGIC, 0);
  out[4] = VERSION;
  const view = new DataView(out.buffer);
  view.setUint32(8, header.length, true);
  out.set(header, 12);
  let pos = headerEnd;
  tensors.forEach(([, data], t) => {
    if (entries[t]!.encoding === 'dense') {
      for (const v of data) {
        view.setFloat32(pos, v, true);
        pos += 4;
      }
      return;
    }
    const countAt = pos;
    pos += 4;
    const idx: number[] = [];
    data.forEach((v, i) => v !== 0 && idx.push(i));
    view.setUint32(countAt, idx.length, true);
    for (const i of idx) {
      view.setUint32(pos, i, true);
      pos += 4;
    }
    for (const i of idx) {
      view.setFloat32(pos, data[i]!, true);
      pos += 4;
    }
  });
  return out;
}

export interface DecodedContainer {
  readonly kind: string;
  readonly meta: unknown;
  readonly tensors: ReadonlyMap<string, Float32Array>;
}

export function decodeContainer(bytes: Uint8Array, code: TrainingErrorCode): DecodedContainer {
  const fail = (why: string): never => {
    throw new TrainingError(code, 'the model or checkpoint bytes are malformed', undefined, why);
  };
  if (bytes.length < 12 || MAGIC.some((b, i) => bytes[i] !== b)) fail('bad magic');
  if (bytes[4] !== VERSION || bytes[5] !== 0 || bytes[6] !== 0 || bytes[7] !== 0) fail('unsupported version');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (headerLength > MAX_HEADER || 12 + headerLength > bytes.length) fail('header length out of range');
  let header: { kind?: unknown; meta?: unknown; tensors?: unknown };
  try {
    header = JSON.parse(decoder.decode(bytes.subarray(12, 12 + headerLength))) as typeof header;
  } catch {
    return fail('header is not JSON');
  }
  if (typeof header !== 'object' || header === null || typeof header.kind !== 'string') fail('header kind');
  if (!Array.isArray(header.tensors)) return fail('header tensors');
  let pos = align4(12 + headerLength);
  for (let i = 12 + headerLength; i < pos; i++) if (bytes[i] !== 0) fail('padding');
  const tensors = new Map<string, Float32Array>();
  for (const raw of header.tensors as unknown[]) {
    const e = raw as Partial<TensorEntry>;
    if (typeof e.name !== 'string' || tensors.has(e.name)) fail('tensor name');
    if (!Number.isInteger(e.length) || e.length! < 0 || e.length! > 1 << 28) fail('tensor length');
    const data = new Float32Array(e.length!);
    const readFloat = (at: number): number => {
      const v = view.getFloat32(at, true);
      if (!Number.isFinite(v)) fail('non-finite value');
      return v;
    };
    if (e.encoding === 'dense') {
      if (pos + data.length * 4 > bytes.length) fail('truncated dense tensor');
      for (let i = 0; i < data.length; i++) data[i] = readFloat(pos + i * 4);
      pos += data.length * 4;
    } else if (e.encoding === 'sparse') {
      if (pos + 4 > bytes.length) fail('truncated sparse count');
      const count = view.getUint32(pos, true);
      pos += 4;
      if (count > data.length || pos + count * 8 > bytes.length) fail('sparse count out of range');
      let previous = -1;
      for (let k = 0; k < count; k++) {
        const index = view.getUint32(pos + k * 4, true);
        if (index <= previous || index >= data.length) fail('sparse index order');
        data[index] = readFloat(pos + count * 4 + k * 4);
        previous = index;
      }
      pos += count * 8;
    } else {
      fail('tensor encoding');
    }
    tensors.set(e.name!, data);
  }
  if (pos !== bytes.length) fail('trailing bytes');
  return { kind: header.kind as string, meta: header.meta, tensors };
}

function align4(n: number): number {
  return (n + 3) & ~3;
}
