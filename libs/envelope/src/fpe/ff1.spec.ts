import { randomBytes, randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { EnvelopeError } from '../envelope.error.js';
import { Ff1 } from './ff1.js';

interface Sample {
  sample: number;
  key: string;
  radix: number;
  tweak: string;
  plaintext: string;
  ciphertext: string;
}
const fixture = JSON.parse(
  readFileSync(join(process.cwd(), 'test/fixtures/envelope/ff1-nist-samples.json'), 'utf8'),
) as { alphabet: string; samples: Sample[] };
const toNumerals = (s: string): number[] => [...s].map((c) => fixture.alphabet.indexOf(c));
const fromNumerals = (xs: number[]): string => xs.map((x) => fixture.alphabet[x]).join('');

describe('FF1 (NIST SP 800-38G)', () => {
  it('has all nine NIST sample vectors', () => {
    expect(fixture.samples.map((s) => s.sample)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it.each(fixture.samples)('NIST sample $sample (radix $radix) encrypts and decrypts', (s) => {
    const ff1 = new Ff1(Buffer.from(s.key, 'hex'), s.radix);
    const tweak = Buffer.from(s.tweak, 'hex');
    expect(fromNumerals(ff1.encrypt(toNumerals(s.plaintext), tweak))).toBe(s.ciphertext);
    expect(fromNumerals(ff1.decrypt(toNumerals(s.ciphertext), tweak))).toBe(s.plaintext);
  });

  it('round-trips random inputs across radixes, lengths, key sizes and tweaks', () => {
    for (let trial = 0; trial < 150; trial++) {
      const radix = [2, 3, 10, 26, 36, 62, 255, 256, 1000, 65535, 65536][trial % 11] as number;
      const ff1 = new Ff1(randomBytes([16, 24, 32][trial % 3] as number), radix);
      const length = ff1.minLength + randomInt(0, 40);
      const input = Array.from({ length }, () => randomInt(0, radix));
      const tweak = randomBytes(randomInt(0, 40));
      const encrypted = ff1.encrypt(input, tweak);
      expect(encrypted).toHaveLength(length);
      expect(encrypted.every((x) => Number.isInteger(x) && x >= 0 && x < radix)).toBe(true);
      expect(ff1.decrypt(encrypted, tweak)).toEqual(input);
    }
  });

  it('maps 2000 distinct 6-digit inputs to 2000 distinct outputs', () => {
    const ff1 = new Ff1(randomBytes(16), 10);
    const seen = new Set<string>();
    for (let i = 0; i < 2000; i++) seen.add(ff1.encrypt(String(i).padStart(6, '0').split('').map(Number)).join(''));
    expect(seen.size).toBe(2000);
  });

  it('depends on the tweak and the key', () => {
    const key = randomBytes(32);
    const input = [1, 2, 3, 4, 5, 6, 7, 8, 9, 0];
    const a = new Ff1(key, 10).encrypt(input, Buffer.from('a'));
    expect(new Ff1(key, 10).encrypt(input, Buffer.from('b'))).not.toEqual(a);
    expect(new Ff1(randomBytes(32), 10).encrypt(input, Buffer.from('a'))).not.toEqual(a);
  });

  it('rejects a domain below one million (2019 revision) with fpe_domain_too_small', () => {
    const ten = new Ff1(randomBytes(16), 10);
    expect(ten.minLength).toBe(6);
    expect(() => ten.encrypt([1, 2, 3, 4, 5])).toThrow(expect.objectContaining({ code: 'fpe_domain_too_small' }));
    expect(ten.encrypt([1, 2, 3, 4, 5, 6])).toHaveLength(6);
    const binary = new Ff1(randomBytes(16), 2);
    expect(binary.minLength).toBe(20);
    expect(() => binary.decrypt(new Array<number>(19).fill(1))).toThrow(expect.objectContaining({ code: 'fpe_domain_too_small' }));
    expect(new Ff1(randomBytes(16), 65536).minLength).toBe(2);
  });

  it('rejects bad radix, key, numerals and tweak with typed errors', () => {
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (e) {
        return e instanceof EnvelopeError ? e.code : 'untyped';
      }
      return undefined;
    };
    expect(codeOf(() => new Ff1(randomBytes(16), 1))).toBe('fpe_invalid_radix');
    expect(codeOf(() => new Ff1(randomBytes(16), 65537))).toBe('fpe_invalid_radix');
    expect(codeOf(() => new Ff1(randomBytes(20), 10))).toBe('invalid_key');
    const ff1 = new Ff1(randomBytes(16), 10);
    expect(codeOf(() => ff1.encrypt([1, 2, 3, 4, 5, 10]))).toBe('fpe_invalid_numeral');
    expect(codeOf(() => ff1.encrypt([1, 2, 3, 4, 5, -1]))).toBe('fpe_invalid_numeral');
    expect(codeOf(() => ff1.encrypt([1, 2, 3, 4, 5, 6], Buffer.alloc(257)))).toBe('fpe_tweak_too_long');
  });
});
