import { describe, expect, it } from '@jest/globals';
import { COMPOUND_ENDINGS, endsWithCompound } from './address.detector.js';

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

const MAX = Math.max(...[...COMPOUND_ENDINGS].map((e) => e.length));
const isBlank = (c: number): boolean => c === 32 || c === 10 || c === 13 || c === 9 || c === 12 || c === 11 || c === 160;

/** The definition: the word's last characters, lowercased, end with a compound street ending. */
function reference(text: string, end: number): boolean {
  let from = end;
  while (from > 0 && end - from < MAX && !isBlank(text.charCodeAt(from - 1))) from--;
  const tail = text.slice(from, end).toLowerCase();
  for (let k = 2; k <= tail.length; k++) if (COMPOUND_ENDINGS.has(tail.slice(tail.length - k))) return true;
  return false;
}

describe('endsWithCompound', () => {
  it('agrees with lowercasing the word and looking its endings up, ASCII or not', () => {
    const endings = [...COMPOUND_ENDINGS];
    const pieces = ['a', 'E', 'x', 'Haupt', 'STRASSE', 'Gate', 'VEJ', '.', '-', ' ', '\u00a0', '\t', 'ß', 'İ', 'Ä', '\u000e', '@', '_'];
    let hits = 0;
    for (let seed = 1; seed <= 3000; seed++) {
      const r = rng(seed);
      let text = '';
      const n = 1 + Math.floor(r() * 5);
      for (let i = 0; i < n; i++) {
        const e = endings[Math.floor(r() * endings.length)]!;
        text += r() < 0.4 ? (r() < 0.5 ? e.toUpperCase() : e) : pieces[Math.floor(r() * pieces.length)];
      }
      for (let end = 0; end <= text.length; end++) {
        const expected = reference(text, end);
        expect([seed, end, endsWithCompound(text, end)]).toEqual([seed, end, expected]);
        if (expected) hits++;
      }
    }
    expect(hits).toBeGreaterThan(1000);
  });
});
