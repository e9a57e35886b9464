import { createCipheriv, createDecipheriv, randomBytes, type Cipheriv } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readdirSync, readSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FingerprintSet, rowFingerprint } from './fingerprint-set.js';

/** Partitions by the fingerprint's top bits: at the end, one partition at a time is loaded into a hash set. */
const PARTITIONS = 64;
/** Bytes per row: fingerprint (hi, lo) and line number, three little-endian uint32. */
const ENTRY_BYTES = 12;
const SPILL_PREFIX = 'confide-dups-';

export interface DuplicateRowsOptions {
  /** Rows held in memory before the buffers go to disk (default 262,144: 3 MiB). */
  readonly memoryRows?: number;
  /** Where the spill directory is made (default: the OS temp dir). It is removed by `finish` and `dispose`. */
  readonly tempDir?: string;
  /** Rows tracked at most; later rows are not checked (default 50 M: 600 MB of spill). */
  readonly maxRows?: number;
}

export interface DuplicateRowsResult {
  /** Rows whose text an earlier row had, in all. */
  readonly count: number;
  /** The first `limit` of those rows' line numbers, ascending. */
  readonly lines: readonly number[];
}

/**
 * Exact duplicate-row detection in bounded memory: each row's 64-bit fingerprint and line number go to one of 64
 * partitions; once more than `memoryRows` rows are buffered, the buffers are appended to per-partition spill files
 * (AES-256-CTR under a key that exists only in this object, so a spill file tells nothing about the rows even to
 * whoever can read the temp dir). `finish` then takes one partition at a time, a few hundred KB for a 1 GB upload,
 * and reports every row whose fingerprint an earlier row had. Memory stays at the buffers plus one partition's set
 * however many rows there are (an in-memory set of all rows took 32 MiB for the 2.3 M rows of a 1 GB upload, 12% of
 * the server's peak), and uploads of fewer than `memoryRows` rows never touch the disk.
 *
 * Duplicates are only known at the end, so they are reported then, not as they stream by.
 */
export class DuplicateRows {
  readonly #memoryRows: number;
  readonly #maxRows: number;
  readonly #tempDir: string;
  readonly #buffers: Uint32Array[] = [];
  /** Entries a partition buffers at most (its buffer starts small and doubles up to this). */
  readonly #perPartition: number;
  readonly #filled = new Uint32Array(PARTITIONS);
  readonly #spilledOf = new Float64Array(PARTITIONS);
  readonly #scratch = new Uint32Array(2);
  readonly #key = randomBytes(32);
  #ciphers: (Cipheriv | undefined)[] = new Array(PARTITIONS);
  #ivs: (Buffer | undefined)[] = new Array(PARTITIONS);
  #dir: string | undefined;
  #buffered = 0;
  #rows = 0;

  constructor(o: DuplicateRowsOptions = {}) {
    this.#memoryRows = Math.max(PARTITIONS, o.memoryRows ?? 262_144);
    this.#maxRows = o.maxRows ?? 50_000_000;
    this.#tempDir = o.tempDir ?? tmpdir();
    // Each partition's buffer holds a fair share of the memory budget, with room for skew (the fingerprints are
    // uniform: a partition's share of 262,144 rows is 4,096 ± 64).
    this.#perPartition = Math.ceil((this.#memoryRows / PARTITIONS) * 1.25) + 16;
    for (let i = 0; i < PARTITIONS; i++) this.#buffers.push(new Uint32Array(Math.min(64, this.#perPartition) * 3));
  }

  /** Rows added (at most maxRows). */
  get rows(): number {
    return this.#rows;
  }

  /** Bytes written to the spill files so far. */
  get spilledBytes(): number {
    return this.#spilledOf.reduce((a, b) => a + b, 0);
  }

  /** The spill directory while it exists (tests). */
  get spillDir(): string | undefined {
    return this.#dir;
  }

  add(text: string, line: number): void {
    if (this.#rows >= this.#maxRows) return;
    this.#rows++;
    rowFingerprint(text, this.#scratch);
    const hi = this.#scratch[0]!;
    const p = hi >>> 26;
    let buf = this.#buffers[p]!;
    let n = this.#filled[p]!;
    if ((n + 1) * 3 > buf.length) {
      if (buf.length < this.#perPartition * 3) {
        const grown = new Uint32Array(Math.min(buf.length * 2, this.#perPartition * 3));
        grown.set(buf);
        buf = this.#buffers[p] = grown;
      } else {
        this.#spill();
        n = 0;
      }
    }
    buf[n * 3] = hi;
    buf[n * 3 + 1] = this.#scratch[1]!;
    buf[n * 3 + 2] = line;
    this.#filled[p] = n + 1;
    if (++this.#buffered >= this.#memoryRows) this.#spill();
  }

  /** Every duplicate, then removes the spill files. `limit` line numbers are kept (counts are complete). */
  finish(limit: number): DuplicateRowsResult {
    try {
      let count = 0;
      let lines: number[] = [];
      let largest = 0;
      for (let p = 0; p < PARTITIONS; p++) largest = Math.max(largest, this.#spilledOf[p]! + this.#filled[p]! * ENTRY_BYTES);
      // One set and one read buffer serve every partition in turn, and each decrypted partition is freed as soon
      // as it has been read: allocating them afresh per partition left ~60 MiB for the collector at the end of a
      // 1 GB upload, all resident at once.
      const set = new FingerprintSet(Math.ceil(largest / ENTRY_BYTES / 0.7));
      const sealed = Buffer.allocUnsafeSlow(Math.max(...this.#spilledOf));
      for (let p = 0; p < PARTITIONS; p++) {
        const found: number[] = [];
        const scan = (entries: Uint32Array): void => {
          for (let i = 0; i < entries.length; i += 3) {
            if (!set.add(entries[i]!, entries[i + 1]!)) {
              count++;
              if (found.length < limit) found.push(entries[i + 2]!);
            }
          }
        };
        // What was spilled comes first (it holds the earlier lines), then what is still buffered.
        const plain = this.#readSpill(p, sealed);
        if (plain) {
          scan(new Uint32Array(plain.buffer, plain.byteOffset, plain.length / 4));
          plain.buffer.transfer(0);
        }
        scan(this.#buffers[p]!.subarray(0, this.#filled[p]! * 3));
        if (found.length) lines = mergeAscending(lines, found, limit);
        set.clear();
      }
      return { count, lines };
    } finally {
      this.dispose();
    }
  }

  /** Closes and removes the spill files (idempotent): also for an upload abandoned before `finish`. */
  dispose(): void {
    this.#ciphers = new Array(PARTITIONS);
    if (this.#dir) rmSync(this.#dir, { recursive: true, force: true });
    this.#dir = undefined;
    this.#filled.fill(0);
    this.#spilledOf.fill(0);
    this.#buffered = 0;
    this.#key.fill(0);
  }

  /** A partition's spilled entries, decrypted into a buffer of their own (4-byte aligned), or undefined. */
  #readSpill(p: number, into: Buffer): Buffer<ArrayBuffer> | undefined {
    const size = this.#spilledOf[p]!;
    if (size === 0) return undefined;
    const fd = openSync(join(this.#dir!, String(p)), 'r');
    try {
      for (let off = 0; off < size; ) {
        const n = readSync(fd, into, off, size - off, off);
        if (n === 0) throw new Error('duplicate-row spill file is shorter than written');
        off += n;
      }
    } finally {
      closeSync(fd);
    }
    const plain = createDecipheriv('aes-256-ctr', this.#key, this.#ivs[p]!).update(into.subarray(0, size)) as Buffer<ArrayBuffer>;
    // node:crypto returns a buffer of its own here (not a slice of the shared pool); copy if it ever is not.
    return plain.byteOffset === 0 && plain.buffer.byteLength === plain.length ? plain : (Buffer.from(plain) as Buffer<ArrayBuffer>);
  }

  #spill(): void {
    this.#dir ??= mkdtempSync(join(this.#tempDir, SPILL_PREFIX));
    for (let p = 0; p < PARTITIONS; p++) {
      const n = this.#filled[p]!;
      if (n === 0) continue;
      let cipher = this.#ciphers[p];
      const first = !cipher;
      if (!cipher) {
        const iv = randomBytes(16);
        this.#ivs[p] = iv;
        cipher = this.#ciphers[p] = createCipheriv('aes-256-ctr', this.#key, iv);
      }
      const b = this.#buffers[p]!;
      const sealed = cipher.update(new Uint8Array(b.buffer, b.byteOffset, n * ENTRY_BYTES));
      // Opened per spill, not held: many uploads at once would otherwise hold 64 descriptors each.
      const fd = openSync(join(this.#dir, String(p)), first ? 'wx' : 'a', 0o600);
      try {
        for (let off = 0; off < sealed.length; ) off += writeSync(fd, sealed, off);
      } finally {
        closeSync(fd);
      }
      this.#spilledOf[p] = this.#spilledOf[p]! + sealed.length;
      this.#filled[p] = 0;
    }
    this.#buffered = 0;
  }
}

/** The first `limit` of two ascending lists, merged. */
function mergeAscending(a: readonly number[], b: readonly number[], limit: number): number[] {
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (out.length < limit && (i < a.length || j < b.length)) {
    if (j >= b.length || (i < a.length && a[i]! <= b[j]!)) out.push(a[i++]!);
    else out.push(b[j++]!);
  }
  return out;
}

/**
 * Removes spill directories under `dir` that a process which died mid-upload left behind: those in which nothing was
 * written for `idleMs` (a live upload appends to its spill every 262,144 rows). Returns how many were removed.
 */
export function removeStaleSpills(dir: string, idleMs: number, now = Date.now()): number {
  let removed = 0;
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return 0;
  }
  for (const name of names) {
    if (!name.startsWith(SPILL_PREFIX)) continue;
    const path = join(dir, name);
    try {
      const newest = Math.max(statSync(path).mtimeMs, ...readdirSync(path).map((f) => statSync(join(path, f)).mtimeMs));
      if (now - newest < idleMs) continue;
      rmSync(path, { recursive: true, force: true });
      removed++;
    } catch {
      // Removed meanwhile by its own process: nothing to do.
    }
  }
  return removed;
}
