import { describe, expect, it } from '@jest/globals';
import { nextCapital } from './person.detector.js';

function rng(seed: number): () => number {
  // Small seeds spread over all 32 bits: xorshift starts slowly from a few set bits.
  let x = Math.imul(seed, 0x9e3779b1) >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** The previous char-code loop, the oracle (a lone high surrogate also hides the unit after it). */
function previousNextCapital(text: string, from: number): number {
  const n = text.length;
  for (let i = from; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c < 128) {
      if (c >= 65 && c <= 90) return i;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < n) {
      if (/^\p{Lu}$/u.test(text.slice(i, i + 2))) return i;
      i++;
      continue;
    }
    if (/^\p{Lu}$/u.test(String.fromCharCode(c))) return i;
  }
  return -1;
}

describe('nextCapital', () => {
  it('finds what the char-code loop found: the first uppercase letter, ASCII or not, astral ones included', () => {
    const pieces = ['a', 'bc', ' ', '.', 'Z', 'É', 'é', 'Ω', 'ω', 'ǅ', '𝐀', '𝐚', '\ud835', '\udc00', '1', 'ß', 'İ', '日本'];
    for (let seed = 1; seed <= 2000; seed++) {
      const r = rng(seed);
      let text = '';
      const length = Math.floor(r() * 40);
      while (text.length < length) text += pieces[Math.floor(r() * pieces.length)];
      for (let from = 0; from <= text.length; from++) {
        // Callers start at code point boundaries.
        if (from > 0 && text.charCodeAt(from) >= 0xdc00 && text.charCodeAt(from) <= 0xdfff && text.charCodeAt(from - 1) >= 0xd800 && text.charCodeAt(from - 1) <= 0xdbff) continue;
        expect([seed, from, nextCapital(text, from)]).toEqual([seed, from, previousNextCapital(text, from)]);
      }
    }
  });
});
