import { createHash } from 'node:crypto';

/**
 * RFC 6962 / RFC 9162 Merkle tree hashing, proof construction and proof verification.
 * leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
 */
export const HASH_SIZE = 32;
const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

export function leafHash(data: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(data).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

export const EMPTY_ROOT: Buffer = createHash('sha256').digest();

/** Largest power of two strictly less than n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Key of a complete, aligned subtree: `level` is log2 of its width, `index` its position at that level. */
export interface SubtreeKey {
  readonly level: number;
  readonly index: number;
}

/** Reads the hash of a complete aligned subtree; storage keeps these as they complete. */
export type SubtreeReader = (key: SubtreeKey) => Buffer;

function isAlignedPowerOfTwo(start: number, width: number): number | undefined {
  if (width & (width - 1)) return undefined;
  if (start % width !== 0) return undefined;
  return Math.log2(width);
}

/** MTH(D[start:end]) computed from complete aligned subtrees only. */
export function rangeHash(start: number, end: number, read: SubtreeReader): Buffer {
  const width = end - start;
  if (width <= 0) throw new RangeError(`empty range [${start}, ${end})`);
  const level = isAlignedPowerOfTwo(start, width);
  if (level !== undefined) return read({ level, index: start / width });
  const k = splitPoint(width);
  return nodeHash(rangeHash(start, start + k, read), rangeHash(start + k, end, read));
}

/** Every complete subtree that `rangeHash(start, end)` will read. */
export function rangeKeys(start: number, end: number, into: SubtreeKey[] = []): SubtreeKey[] {
  const width = end - start;
  const level = isAlignedPowerOfTwo(start, width);
  if (level !== undefined) {
    into.push({ level, index: start / width });
    return into;
  }
  const k = splitPoint(width);
  rangeKeys(start, start + k, into);
  rangeKeys(start + k, end, into);
  return into;
}

/** The ranges whose hashes form the RFC 6962 audit path of leaf m in a tree of n leaves (leaf-to-root order). */
export function inclusionRanges(m: number, n: number): Array<[number, number]> {
  if (!(m >= 0 && m < n)) throw new RangeError(`leaf index ${m} is outside a tree of size ${n}`);
  const out: Array<[number, number]> = [];
  const walk = (m: number, start: number, end: number): void => {
    const width = end - start;
    if (width === 1) return;
    const k = splitPoint(width);
    if (m < k) {
      walk(m, start, start + k);
      out.push([start + k, end]);
    } else {
      walk(m - k, start + k, end);
      out.push([start, start + k]);
    }
  };
  walk(m, 0, n);
  return out;
}

/** The ranges whose hashes form the RFC 6962 consistency proof from size m to size n. */
export function consistencyRanges(m: number, n: number): Array<[number, number]> {
  if (!(m > 0 && m <= n)) throw new RangeError(`cannot prove consistency from ${m} to ${n}`);
  const out: Array<[number, number]> = [];
  if (m === n) return out;
  const subproof = (m: number, start: number, end: number, complete: boolean): void => {
    const width = end - start;
    if (m === width) {
      if (!complete) out.push([start, end]);
      return;
    }
    const k = splitPoint(width);
    if (m <= k) {
      subproof(m, start, start + k, complete);
      out.push([start + k, end]);
    } else {
      subproof(m - k, start + k, end, false);
      out.push([start, start + k]);
    }
  };
  subproof(m, 0, n, true);
  return out;
}

/** Root of a list of leaf hashes (for verifiers that hold every leaf). */
export function rootFromLeafHashes(leaves: readonly Uint8Array[]): Buffer {
  if (leaves.length === 0) return EMPTY_ROOT;
  const frontier = new CompactRange();
  for (const leaf of leaves) frontier.append(Buffer.from(leaf));
  return frontier.root();
}

/**
 * The right edge of a growing tree: at most log2(n) hashes of complete subtrees. Appending is O(1) amortised and
 * reports which complete subtrees were finished, so storage can keep them for proof generation.
 */
export class CompactRange {
  private readonly hashes: Buffer[];
  constructor(
    private n = 0,
    hashes: readonly Buffer[] = [],
  ) {
    this.hashes = [...hashes];
    if (this.hashes.length !== popcount(n)) throw new RangeError('compact range does not match its size');
  }

  get size(): number {
    return this.n;
  }

  /** Hashes of the complete subtrees on the right edge, largest (leftmost) first. */
  get edge(): readonly Buffer[] {
    return this.hashes;
  }

  /** Adds a leaf hash; returns every complete subtree this finished, including the leaf itself at level 0. */
  append(leaf: Buffer): Array<SubtreeKey & { hash: Buffer }> {
    const finished: Array<SubtreeKey & { hash: Buffer }> = [{ level: 0, index: this.n, hash: leaf }];
    let hash = leaf;
    let index = this.n;
    let level = 0;
    while (index & 1) {
      const left = this.hashes.pop();
      if (!left) throw new Error('compact range corrupted');
      hash = nodeHash(left, hash);
      index >>= 1;
      level += 1;
      finished.push({ level, index, hash });
    }
    this.hashes.push(hash);
    this.n += 1;
    return finished;
  }

  root(): Buffer {
    if (this.n === 0) return EMPTY_ROOT;
    let acc = this.hashes[this.hashes.length - 1]!;
    for (let i = this.hashes.length - 2; i >= 0; i--) acc = nodeHash(this.hashes[i]!, acc);
    return acc;
  }
}

function popcount(n: number): number {
  let c = 0;
  while (n > 0) {
    c += n & 1;
    n = Math.floor(n / 2);
  }
  return c;
}

export class ProofError extends Error {}

function innerProofSize(index: number, size: number): number {
  return bitLength(index ^ (size - 1));
}

function bitLength(x: number): number {
  let n = 0;
  while (x > 0) {
    n += 1;
    x = Math.floor(x / 2);
  }
  return n;
}

function trailingZeros(x: number): number {
  if (x === 0) return 0;
  let n = 0;
  while ((x & 1) === 0) {
    n += 1;
    x >>>= 1;
  }
  return n;
}

function chainInner(seed: Buffer, proof: readonly Buffer[], index: number): Buffer {
  let acc = seed;
  proof.forEach((h, i) => {
    acc = (Math.floor(index / 2 ** i) & 1) === 0 ? nodeHash(acc, h) : nodeHash(h, acc);
  });
  return acc;
}

function chainInnerRight(seed: Buffer, proof: readonly Buffer[], index: number): Buffer {
  let acc = seed;
  proof.forEach((h, i) => {
    if ((Math.floor(index / 2 ** i) & 1) === 1) acc = nodeHash(h, acc);
  });
  return acc;
}

function chainBorderRight(seed: Buffer, proof: readonly Buffer[]): Buffer {
  let acc = seed;
  for (const h of proof) acc = nodeHash(h, acc);
  return acc;
}

/** Root implied by an inclusion proof (RFC 9162 §2.1.3.2); throws ProofError when the proof has the wrong shape. */
export function rootFromInclusionProof(index: number, size: number, leaf: Buffer, proof: readonly Buffer[]): Buffer {
  if (!(Number.isSafeInteger(index) && Number.isSafeInteger(size)) || index < 0 || index >= size) {
    throw new ProofError(`index ${index} is beyond tree size ${size}`);
  }
  if (leaf.length !== HASH_SIZE) throw new ProofError('leaf hash has the wrong length');
  if (proof.some((h) => h.length !== HASH_SIZE)) throw new ProofError('proof hash has the wrong length');
  const inner = innerProofSize(index, size);
  const border = popcount(Math.floor(index / 2 ** inner));
  if (proof.length !== inner + border) {
    throw new ProofError(`proof has ${proof.length} hashes, want ${inner + border}`);
  }
  const res = chainInner(leaf, proof.slice(0, inner), index);
  return chainBorderRight(res, proof.slice(inner));
}

export function verifyInclusion(index: number, size: number, leaf: Buffer, proof: readonly Buffer[], root: Buffer): void {
  const got = rootFromInclusionProof(index, size, leaf, proof);
  if (!got.equals(root)) throw new ProofError('inclusion proof does not lead to the expected root');
}

/** RFC 9162 §2.1.4.2 consistency proof verification. */
export function verifyConsistency(
  size1: number,
  size2: number,
  root1: Buffer,
  root2: Buffer,
  proof: readonly Buffer[],
): void {
  if (size2 < size1 || size1 < 0) throw new ProofError(`size2 (${size2}) < size1 (${size1})`);
  if (proof.some((h) => h.length !== HASH_SIZE)) throw new ProofError('proof hash has the wrong length');
  // Consistency with the empty tree proves nothing; RFC 9162 verifiers reject it.
  if (size1 === 0) throw new ProofError('consistency from an empty tree is meaningless');
  if (size1 === size2) {
    if (proof.length > 0) throw new ProofError('size1 == size2 but the proof is not empty');
    if (!root1.equals(root2)) throw new ProofError('roots differ for equal sizes');
    return;
  }
  if (proof.length === 0) throw new ProofError('empty consistency proof');

  let inner = innerProofSize(size1 - 1, size2);
  const shift = trailingZeros(size1);
  inner -= shift;
  let seed = proof[0]!;
  let start = 1;
  if (size1 === 2 ** shift) {
    seed = root1;
    start = 0;
  }
  const border = popcount(Math.floor((size1 - 1) / 2 ** (shift + inner)));
  if (proof.length !== start + inner + border) {
    throw new ProofError(`consistency proof has ${proof.length} hashes, want ${start + inner + border}`);
  }
  const rest = proof.slice(start);
  const mask = Math.floor((size1 - 1) / 2 ** shift);
  let hash1 = chainInnerRight(seed, rest.slice(0, inner), mask);
  hash1 = chainBorderRight(hash1, rest.slice(inner));
  if (!hash1.equals(root1)) throw new ProofError('consistency proof does not match the old root');
  let hash2 = chainInner(seed, rest.slice(0, inner), mask);
  hash2 = chainBorderRight(hash2, rest.slice(inner));
  if (!hash2.equals(root2)) throw new ProofError('consistency proof does not match the new root');
}
