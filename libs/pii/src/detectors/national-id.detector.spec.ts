import { describe, expect, it } from '@jest/globals';
import { eachMatch } from './detector.js';
import { eachWholeWord } from './national-id.detector.js';

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

const FISCAL = '\\b[A-Za-z]{6}[\\dLMNPQRSTUV]{2}[A-Za-z][\\dLMNPQRSTUV]{2}[A-Za-z][\\dLMNPQRSTUV]{3}[A-Za-z]\\b';

describe('eachWholeWord', () => {
  it('finds what the global pattern finds, on generated text full of near-miss words', () => {
    const pieces = ['RSSMRA85T10A562S', 'rssmra85t10a562s', 'RSSMRALMT10A562S', 'RSSMRA85T10A562', 'XRSSMRA85T10A562S', 'RSSMRA85T10A562S_', 'é', '_', ' ', ' ', '.', '-', '\n', '🙂', 'Ä'];
    const chars = 'ABCLMNPQRSTUVxyz0123456789_';
    let matches = 0;
    for (let seed = 1; seed <= 400; seed++) {
      const r = rng(seed);
      let text = '';
      while (text.length < 200) {
        if (r() < 0.3) text += pieces[Math.floor(r() * pieces.length)];
        else {
          const len = 14 + Math.floor(r() * 4);
          for (let i = 0; i < len; i++) text += chars[Math.floor(r() * chars.length)];
        }
        if (r() < 0.7) text += ' ';
      }
      const slow: [number, string][] = [];
      eachMatch(new RegExp(FISCAL, 'g'), text, (m) => slow.push([m.index, m[0]]));
      const fast: [number, string][] = [];
      eachWholeWord(new RegExp(FISCAL, 'y'), 16, text, (m) => fast.push([m.index, m[0]]));
      expect([seed, fast]).toEqual([seed, slow]);
      matches += slow.length;
    }
    expect(matches).toBeGreaterThan(100);
  });
});
