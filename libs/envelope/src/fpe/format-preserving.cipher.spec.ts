import { randomBytes, randomInt } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { FPE_ALPHABETS, FormatPreservingCipher, ShapePreservingCipher } from './format-preserving.cipher.js';

const shape = (s: string): string => s.replace(/[0-9]/g, '9').replace(/[A-Z]/g, 'A').replace(/[a-z]/g, 'a');

describe('FormatPreservingCipher', () => {
  const key = randomBytes(32);

  it('keeps separators in place and digits as digits', () => {
    const cards = new FormatPreservingCipher(key, FPE_ALPHABETS.digits, Buffer.from('CREDIT_CARD'));
    const card = '4111-1111-1111-1111';
    const encrypted = cards.encrypt(card);
    expect(encrypted).toMatch(/^\d{4}-\d{4}-\d{4}-\d{4}$/);
    expect(encrypted).not.toBe(card);
    expect(cards.encrypt(card)).toBe(encrypted);
    expect(cards.decrypt(encrypted)).toBe(card);
  });

  it('round-trips random strings over every built-in alphabet', () => {
    for (const alphabet of Object.values(FPE_ALPHABETS)) {
      const cipher = new FormatPreservingCipher(key, alphabet);
      for (let i = 0; i < 30; i++) {
        const length = cipher.minLength + randomInt(0, 20);
        const text = Array.from({ length }, () => alphabet[randomInt(0, alphabet.length)]).join('') + ' +x';
        const encrypted = cipher.encrypt(text);
        expect([...encrypted.slice(0, length)].every((c) => alphabet.includes(c))).toBe(true);
        expect(encrypted.endsWith(' +x') || alphabet.includes('x')).toBe(true);
        expect(cipher.decrypt(encrypted)).toBe(text);
      }
    }
  });

  it('rejects short inputs and bad alphabets with typed errors', () => {
    expect(() => new FormatPreservingCipher(key, FPE_ALPHABETS.digits).encrypt('12-345')).toThrow(
      expect.objectContaining({ code: 'fpe_domain_too_small' }),
    );
    expect(() => new FormatPreservingCipher(key, 'aa')).toThrow(expect.objectContaining({ code: 'fpe_invalid_alphabet' }));
  });
});

describe('ShapePreservingCipher', () => {
  const cipher = new ShapePreservingCipher(randomBytes(32), Buffer.from('PASSPORT'));

  it('keeps the class of every character and round-trips', () => {
    for (const id of ['AB1234567', 'X12-34-567', 'ab12CD34ef', 'DL 9988-7766 k', 'GB29NWBK60161331926819']) {
      const encrypted = cipher.encrypt(id);
      expect(shape(encrypted)).toBe(shape(id));
      expect(cipher.decrypt(encrypted)).toBe(id);
    }
  });

  it('round-trips random shaped strings', () => {
    const pool = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-';
    for (let i = 0; i < 200; i++) {
      const text = Array.from({ length: 7 + randomInt(0, 20) }, () => pool[randomInt(0, pool.length)]).join('') + 'A1b2C3';
      const encrypted = cipher.encrypt(text);
      expect(shape(encrypted)).toBe(shape(text));
      expect(cipher.decrypt(encrypted)).toBe(text);
    }
  });

  it('rejects identifiers with a domain below one million', () => {
    expect(() => cipher.encrypt('AB12')).toThrow(expect.objectContaining({ code: 'fpe_domain_too_small' }));
  });
});
