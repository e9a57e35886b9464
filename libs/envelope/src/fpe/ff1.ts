import { createCipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { EnvelopeError } from '../envelope.error.js';

/** SP 800-38G Rev. 1 (2019): the domain radix^minlen must be at least one million. */
export const FF1_MIN_DOMAIN_SIZE = 1_000_000n;
export const FF1_MAX_RADIX = 65_536;
/** Our cap on input length and tweak length (the standard allows up to 2^32 numerals; nothing here needs more). */
export const FF1_MAX_LENGTH = 4096;
export const FF1_MAX_TWEAK_LENGTH = 256;

const ROUNDS = 10;
const BLOCK = 16;
const ZERO_IV = Buffer.alloc(BLOCK);

/**
 * FF1 format-preserving encryption (NIST SP 800-38G Rev. 1, Algorithms 7 and 8) over numeral strings in a radix in
 * 2..65536. AES comes from node:crypto: the PRF is AES-CBC-MAC with a zero IV and the extra blocks of S are AES-ECB.
 * FF1 is deterministic by design (same key, tweak and input give the same output); use a tweak to separate domains.
 */
export class Ff1 {
  readonly #key: KeyObject;
  readonly #cbc: string;
  readonly #ecb: string;

  constructor(
    key: Uint8Array,
    readonly radix: number,
  ) {
    if (![16, 24, 32].includes(key.length)) throw new EnvelopeError('invalid_key', 'an FF1 key must be 16, 24 or 32 bytes');
    if (!Number.isInteger(radix) || radix < 2 || radix > FF1_MAX_RADIX) {
      throw new EnvelopeError('fpe_invalid_radix', `FF1 radix must be an integer in 2..${FF1_MAX_RADIX}`);
    }
    this.#key = createSecretKey(Buffer.from(key));
    this.#cbc = `aes-${key.length * 8}-cbc`;
    this.#ecb = `aes-${key.length * 8}-ecb`;
  }

  /** The shortest input length this radix allows (radix^minLength >= 1,000,000). */
  get minLength(): number {
    let length = 2;
    while (BigInt(this.radix) ** BigInt(length) < FF1_MIN_DOMAIN_SIZE) length += 1;
    return length;
  }

  encrypt(numerals: readonly number[], tweak: Uint8Array = Buffer.alloc(0)): number[] {
    return this.#run(numerals, tweak, true);
  }

  decrypt(numerals: readonly number[], tweak: Uint8Array = Buffer.alloc(0)): number[] {
    return this.#run(numerals, tweak, false);
  }

  #run(numerals: readonly number[], tweak: Uint8Array, encrypt: boolean): number[] {
    const n = numerals.length;
    const radix = BigInt(this.radix);
    if (n > FF1_MAX_LENGTH) throw new EnvelopeError('fpe_input_too_long', `FF1 input longer than ${FF1_MAX_LENGTH}`);
    if (n < 2 || radix ** BigInt(n) < FF1_MIN_DOMAIN_SIZE) {
      throw new EnvelopeError(
        'fpe_domain_too_small',
        `FF1 needs radix^length >= 1,000,000 (at least ${this.minLength} numerals in radix ${this.radix})`,
      );
    }
    if (tweak.length > FF1_MAX_TWEAK_LENGTH) {
      throw new EnvelopeError('fpe_tweak_too_long', `FF1 tweak longer than ${FF1_MAX_TWEAK_LENGTH} bytes`);
    }
    for (const x of numerals) {
      if (!Number.isInteger(x) || x < 0 || x >= this.radix) {
        throw new EnvelopeError('fpe_invalid_numeral', `FF1 numeral outside radix ${this.radix}`);
      }
    }
    const t = tweak.length;
    const u = Math.floor(n / 2);
    const v = n - u;
    const b = Math.ceil(bitLength(radix ** BigInt(v) - 1n) / 8);
    const d = 4 * Math.ceil(b / 4) + 4;
    const modU = radix ** BigInt(u);
    const modV = radix ** BigInt(v);

    const p = Buffer.alloc(BLOCK);
    p.writeUInt8(1, 0);
    p.writeUInt8(2, 1);
    p.writeUInt8(1, 2);
    p.writeUIntBE(this.radix, 3, 3);
    p.writeUInt8(10, 6);
    p.writeUInt8(u % 256, 7);
    p.writeUInt32BE(n, 8);
    p.writeUInt32BE(t, 12);

    const padding = mod(-t - b - 1, BLOCK);
    const q = Buffer.alloc(t + padding + 1 + b);
    q.set(tweak, 0);
    const roundAt = t + padding;

    let a = numerals.slice(0, u);
    let bHalf = numerals.slice(u);
    if (encrypt) {
      for (let i = 0; i < ROUNDS; i++) {
        const y = this.#roundValue(p, q, roundAt, i, num(bHalf, radix), b, d);
        const even = i % 2 === 0;
        const m = even ? u : v;
        const c = mod(num(a, radix) + y, even ? modU : modV);
        a = bHalf;
        bHalf = str(c, radix, m);
      }
    } else {
      for (let i = ROUNDS - 1; i >= 0; i--) {
        const y = this.#roundValue(p, q, roundAt, i, num(a, radix), b, d);
        const even = i % 2 === 0;
        const m = even ? u : v;
        const c = mod(num(bHalf, radix) - y, even ? modU : modV);
        bHalf = a;
        a = str(c, radix, m);
      }
    }
    return [...a, ...bHalf];
  }

  /** Steps 6.i–6.iv: y = NUM(S) where S is the first d bytes of PRF(P ‖ Q) extended with AES-ECB blocks. */
  #roundValue(p: Buffer, q: Buffer, roundAt: number, round: number, half: bigint, b: number, d: number): bigint {
    q.writeUInt8(round, roundAt);
    writeBigIntBE(q, half, roundAt + 1, b);
    const cbc = createCipheriv(this.#cbc, this.#key, ZERO_IV).setAutoPadding(false);
    cbc.update(p);
    const macOut = cbc.update(q);
    cbc.final();
    const r = macOut.subarray(macOut.length - BLOCK);
    const blocks = Math.ceil(d / BLOCK);
    let s: Buffer = r;
    if (blocks > 1) {
      const input = Buffer.alloc((blocks - 1) * BLOCK);
      for (let j = 1; j < blocks; j++) {
        const block = input.subarray((j - 1) * BLOCK, j * BLOCK);
        r.copy(block);
        // R xor [j]^16: j fits in the low bytes of the block.
        block.writeUInt32BE((block.readUInt32BE(12) ^ j) >>> 0, 12);
      }
      const ecb = createCipheriv(this.#ecb, this.#key, null).setAutoPadding(false);
      s = Buffer.concat([r, ecb.update(input), ecb.final()]);
    }
    return BigInt('0x' + s.toString('hex', 0, d));
  }
}

function mod(a: bigint, m: bigint): bigint;
function mod(a: number, m: number): number;
function mod(a: bigint | number, m: bigint | number): bigint | number {
  if (typeof a === 'bigint' && typeof m === 'bigint') return ((a % m) + m) % m;
  return (((a as number) % (m as number)) + (m as number)) % (m as number);
}

function bitLength(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

function num(numerals: readonly number[], radix: bigint): bigint {
  let x = 0n;
  for (const digit of numerals) x = x * radix + BigInt(digit);
  return x;
}

function str(x: bigint, radix: bigint, length: number): number[] {
  const out = new Array<number>(length);
  let rest = x;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(rest % radix);
    rest /= radix;
  }
  return out;
}

function writeBigIntBE(target: Buffer, value: bigint, offset: number, length: number): void {
  let rest = value;
  for (let i = offset + length - 1; i >= offset; i--) {
    target[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
}
