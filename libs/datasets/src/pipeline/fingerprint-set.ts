import { fmix32 } from '@confide/domain';

/**
 * A set of 64-bit row fingerprints in open-addressing tables of uint32 pairs (8 bytes a slot), instead of a
 * Set<number> whose heap-number entries cost ~40-80 bytes each. DuplicateRows builds one per partition at the end
 * of an upload (a 64th of the rows at a time).
 *
 * The table is split into SHARDS independent shards (by the fingerprint's high bits), each filled to at most 3/4
 * before it doubles. One big table doubling at half load held 64 MiB for the 2.3 M rows of a 1 GB upload and 96 MiB
 * while it copied itself into the next size; sharded, the same rows take 24-48 MiB and a resize only ever copies one
 * shard (1/64 of the set), and the old table is released at once (not left for the garbage collector), so the peak
 * is the size plus a sliver. The all-zero fingerprint is stored as (0, 1): the empty slot marker is (0, 0).
 */
const SHARDS = 64;
const MIN_SHARD_SLOTS = 16;

interface Shard {
  table: Uint32Array<ArrayBuffer>;
  mask: number;
  size: number;
}

export class FingerprintSet {
  readonly #shards: Shard[] = [];
  #size = 0;

  constructor(initialSlots = 1 << 12) {
    let slots = MIN_SHARD_SLOTS;
    while (slots * SHARDS < initialSlots) slots *= 2;
    for (let i = 0; i < SHARDS; i++) this.#shards.push({ table: new Uint32Array(slots * 2), mask: slots - 1, size: 0 });
  }

  get size(): number {
    return this.#size;
  }

  /** Bytes held by the tables. */
  get bytes(): number {
    return this.#shards.reduce((sum, s) => sum + s.table.byteLength, 0);
  }

  /** Empties the set, keeping its tables (for reuse at the same size). */
  clear(): void {
    for (const s of this.#shards) {
      s.table.fill(0);
      s.size = 0;
    }
    this.#size = 0;
  }

  /** Adds (hi, lo); returns false when it was already present. */
  add(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    const shard = this.#shards[hi & (SHARDS - 1)] as Shard;
    if ((shard.size + 1) * 4 > (shard.mask + 1) * 3) grow(shard);
    if (!insert(shard.table, shard.mask, hi, lo)) return false;
    shard.size += 1;
    this.#size += 1;
    return true;
  }

  has(hi: number, lo: number): boolean {
    hi >>>= 0;
    lo >>>= 0;
    if (hi === 0 && lo === 0) lo = 1;
    const { table: t, mask } = this.#shards[hi & (SHARDS - 1)] as Shard;
    for (let i = lo & mask; ; i = (i + 1) & mask) {
      const h = t[2 * i] as number;
      const l = t[2 * i + 1] as number;
      if (h === 0 && l === 0) return false;
      if (h === hi && l === lo) return true;
    }
  }
}

/**
 * A 64-bit fingerprint of `text` into `out` (hi, lo): two 32-bit lanes, each updated per UTF-16 unit by a
 * bijective xor-multiply step (so rows that differ in one unit always differ in both lanes) and finished with
 * murmur3's fmix32 avalanche (the set uses the low bits as slot and shard indices). Accidental collisions are as rare as
 * with 64 bits of SHA-256 (~4·10^9 rows for one to become likely), but it is not collision-resistant: an uploader
 * can craft two rows of their own that collide, which only adds a duplicate_row warning. A SHA-256 call per row
 * cost a tenth of the pipeline's CPU.
 */
export function rowFingerprint(text: string, out: Uint32Array): void {
  let a = 0x811c9dc5;
  let b = 0x2f1a3b5d;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  out[0] = fmix32(a ^ text.length);
  out[1] = fmix32(b ^ Math.imul(text.length, 0x9e3779b1));
}


function insert(t: Uint32Array, mask: number, hi: number, lo: number): boolean {
  // Fingerprints are well mixed (rowFingerprint ends in an avalanche), so their low bits serve as the slot index.
  for (let i = lo & mask; ; i = (i + 1) & mask) {
    const h = t[2 * i] as number;
    const l = t[2 * i + 1] as number;
    if (h === 0 && l === 0) {
      t[2 * i] = hi;
      t[2 * i + 1] = lo;
      return true;
    }
    if (h === hi && l === lo) return false;
  }
}

function grow(shard: Shard): void {
  const old = shard.table;
  const slots = (shard.mask + 1) * 2;
  const table = new Uint32Array(slots * 2);
  const mask = slots - 1;
  for (let i = 0; i < old.length; i += 2) {
    const h = old[i] as number;
    const l = old[i + 1] as number;
    if (h !== 0 || l !== 0) insert(table, mask, h, l);
  }
  shard.table = table;
  shard.mask = mask;
  // Free the old table now rather than at V8's next full collection: the shards fill evenly and double within a few
  // thousand rows of each other, and their old tables (a third of the set) would otherwise all be resident at once.
  old.buffer.transfer(0);
}
