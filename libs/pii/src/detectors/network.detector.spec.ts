import { describe, expect, it } from '@jest/globals';
import type { Candidate } from '../entities.js';
import { eachMatch } from './detector.js';
import { MacAddressDetector } from './network.detector.js';

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

const MAC_DOT_RE = /(?<![\w.])[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}(?![\w.])/g;

describe('MacAddressDetector', () => {
  it('finds every dotted MAC the pattern alone finds (its dot gate loses none)', () => {
    const pieces = ['0123.4567.89ab', 'dead.beef.cafe', '.', '..', 'abcd', '12', 'x', ' ', ', ', 'ABCD.', '.ef01', 'g'];
    let matches = 0;
    for (let seed = 1; seed <= 1500; seed++) {
      const r = rng(seed);
      let text = '';
      while (text.length < 60) text += pieces[Math.floor(r() * pieces.length)];
      const expected: [number, number][] = [];
      eachMatch(MAC_DOT_RE, text, (m) => expected.push([m.index, m.index + m[0].length]));
      const found: Candidate[] = [];
      new MacAddressDetector().detect(text, found);
      const dotted = found.filter((c) => c.reason === 'mac_address:dotted').map((c) => [c.start, c.end]);
      expect([seed, dotted]).toEqual([seed, expected]);
      matches += expected.length;
    }
    expect(matches).toBeGreaterThan(100);
  });
});
