import { EnvelopeError } from '../envelope.error.js';
import { Ff1 } from './ff1.js';

export const FPE_ALPHABETS = {
  digits: '0123456789',
  upperAlphanumeric: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ',
  lowerAlphanumeric: '0123456789abcdefghijklmnopqrstuvwxyz',
  alphanumeric: '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
} as const;

/**
 * FF1 over text: characters of `alphabet` are encrypted as one numeral string (radix = alphabet size); every other
 * character (separators such as `-`, spaces, `@`) stays where it was. `4111-1111-1111-1111` stays four groups of
 * digits. Deterministic per (key, tweak): equal inputs give equal outputs, which keeps joins working.
 */
export class FormatPreservingCipher {
  readonly #ff1: Ff1;
  readonly #symbols: string[];
  readonly #index = new Map<string, number>();

  constructor(
    key: Uint8Array,
    alphabet: string,
    private readonly tweak: Uint8Array = Buffer.alloc(0),
  ) {
    this.#symbols = [...alphabet];
    this.#symbols.forEach((symbol, i) => this.#index.set(symbol, i));
    if (this.#index.size !== this.#symbols.length || this.#symbols.length < 2) {
      throw new EnvelopeError('fpe_invalid_alphabet', 'an FPE alphabet needs at least two distinct characters');
    }
    this.#ff1 = new Ff1(key, this.#symbols.length);
  }

  /** The fewest alphabet characters an input must contain. */
  get minLength(): number {
    return this.#ff1.minLength;
  }

  encrypt(text: string, tweak: Uint8Array = this.tweak): string {
    return this.#apply(text, (numerals) => this.#ff1.encrypt(numerals, tweak));
  }

  decrypt(text: string, tweak: Uint8Array = this.tweak): string {
    return this.#apply(text, (numerals) => this.#ff1.decrypt(numerals, tweak));
  }

  #apply(text: string, transform: (numerals: number[]) => number[]): string {
    const chars = [...text];
    const positions: number[] = [];
    const numerals: number[] = [];
    chars.forEach((c, i) => {
      const numeral = this.#index.get(c);
      if (numeral !== undefined) {
        positions.push(i);
        numerals.push(numeral);
      }
    });
    const out = transform(numerals);
    positions.forEach((position, i) => {
      chars[position] = this.#symbols[out[i] as number] as string;
    });
    return chars.join('');
  }
}

const DIGITS = 10n;
const LETTERS = 26n;
type CharClass = 'digit' | 'upper' | 'lower';

function classOf(c: string): CharClass | undefined {
  if (c >= '0' && c <= '9') return 'digit';
  if (c >= 'A' && c <= 'Z') return 'upper';
  if (c >= 'a' && c <= 'z') return 'lower';
  return undefined;
}

/**
 * Shape-preserving FF1 for identifiers that mix letters and digits (passport, licence, account numbers): every
 * digit stays a digit, every upper-case letter an upper-case letter, every lower-case letter a lower-case letter,
 * and other characters stay put. The text is read as one mixed-radix number below M = product of the positions'
 * radixes, encrypted with FF1 in radix 2 over ceil(log2 M) bits, and cycle-walked until the result is below M —
 * a permutation of exactly the strings with this shape. Needs M >= 1,000,000.
 */
export class ShapePreservingCipher {
  readonly #ff1: Ff1;

  constructor(
    key: Uint8Array,
    private readonly tweak: Uint8Array = Buffer.alloc(0),
  ) {
    this.#ff1 = new Ff1(key, 2);
  }

  encrypt(text: string, tweak: Uint8Array = this.tweak): string {
    return this.#apply(text, (bits) => this.#ff1.encrypt(bits, tweak));
  }

  decrypt(text: string, tweak: Uint8Array = this.tweak): string {
    return this.#apply(text, (bits) => this.#ff1.decrypt(bits, tweak));
  }

  #apply(text: string, step: (bits: number[]) => number[]): string {
    const chars = [...text];
    const slots: { position: number; radix: bigint; base: number }[] = [];
    chars.forEach((c, position) => {
      const cls = classOf(c);
      if (cls === 'digit') slots.push({ position, radix: DIGITS, base: 0x30 });
      else if (cls === 'upper') slots.push({ position, radix: LETTERS, base: 0x41 });
      else if (cls === 'lower') slots.push({ position, radix: LETTERS, base: 0x61 });
    });
    const domain = slots.reduce((m, s) => m * s.radix, 1n);
    if (domain < 1_000_000n) {
      throw new EnvelopeError('fpe_domain_too_small', 'too few letters and digits for format-preserving encryption');
    }
    let value = 0n;
    for (const s of slots) value = value * s.radix + BigInt((chars[s.position] as string).charCodeAt(0) - s.base);
    const width = (domain - 1n).toString(2).length;
    // Cycle walking: each step is a permutation of [0, 2^width) and domain > 2^(width-1), so < 2 steps on average.
    do {
      const bits = step([...value.toString(2).padStart(width, '0')].map(Number));
      value = BigInt('0b' + bits.join(''));
    } while (value >= domain);
    for (let i = slots.length - 1; i >= 0; i--) {
      const s = slots[i] as (typeof slots)[number];
      chars[s.position] = String.fromCharCode(s.base + Number(value % s.radix));
      value /= s.radix;
    }
    return chars.join('');
  }
}
