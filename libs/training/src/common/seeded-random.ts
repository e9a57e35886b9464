import { createHash } from 'node:crypto';

/**
 * xoshiro128** (Blackman & Vigna), seeded through SHA-256 of a label so that independent streams (the split, each
 * epoch's shuffle) never overlap and never depend on call order elsewhere. 32-bit integer arithmetic only, so the
 * sequence is identical on every platform; nothing here reads Math.random or a clock.
 */
export class SeededRandom {
  private readonly s = new Uint32Array(4);

  constructor(seed: number | string, stream = '') {
    const digest = createHash('sha256').update(`confide-training\u0000${String(seed)}\u0000${stream}`).digest();
    for (let i = 0; i < 4; i++) this.s[i] = digest.readUInt32LE(i * 4);
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** Next uniform 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1]!, 5), 7), 9) >>> 0;
    const t = s[1]! << 9;
    s[2]! ^= s[0]!;
    s[3]! ^= s[1]!;
    s[1]! ^= s[2]!;
    s[0]! ^= s[3]!;
    s[2]! ^= t;
    s[3] = rotl(s[3]!, 11);
    return result;
  }

  /** Uniform integer in [0, n) without modulo bias (rejection sampling). */
  nextInt(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x1_0000_0000) throw new RangeError('n must be an integer in [1, 2^32]');
    const limit = 0x1_0000_0000 - (0x1_0000_0000 % n);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % n;
    }
  }

  /** Fisher–Yates shuffle in place. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.nextInt(i + 1);
      const tmp = items[i]!;
      items[i] = items[j]!;
      items[j] = tmp;
    }
    return items;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}
