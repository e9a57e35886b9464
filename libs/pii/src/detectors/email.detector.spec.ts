import { describe, expect, it } from '@jest/globals';
import type { Candidate } from '../entities.js';
import { eachMatch } from './detector.js';
import { EmailDetector } from './email.detector.js';

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

const EMAIL_RE =
  /[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+=?^_`{|}~-]+)*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+([A-Za-z]{2,24})(?![A-Za-z0-9-])/g;

/** The detector as it was before its matches were searched from each '@': the global pattern over each window. */
function reference(text: string): [number, number, string][] {
  const out: [number, number, string][] = [];
  let at = text.indexOf('@');
  let covered = 0;
  while (at >= 0) {
    const from = Math.max(covered, at - 128);
    const to = Math.min(text.length, at + 256);
    eachMatch(EMAIL_RE, text.slice(from, to), (m) => out.push([from + m.index, from + m.index + m[0].length, m[1]!]));
    covered = to;
    at = text.indexOf('@', Math.max(at + 1, to));
  }
  return out;
}

describe('EmailDetector', () => {
  it('finds what the global pattern over each window finds, on generated text dense in near-miss addresses', () => {
    const pieces = ['@', '@', '.', '..', 'a.b', 'x@y', '@example.com', '@ex-ample.co.uk', '.de', 'user', 'first.last', "o'hara", '+tag', '-', ' ', ' ', '\n', 'é', '@@', 'a'.repeat(70), '.com', '1', '_'];
    let matches = 0;
    for (let seed = 1; seed <= 600; seed++) {
      const r = rng(seed);
      let text = '';
      const length = r() < 0.8 ? 60 : 700;
      while (text.length < length) text += pieces[Math.floor(r() * pieces.length)];
      const found: Candidate[] = [];
      new EmailDetector().detect(text, found);
      const expected = reference(text);
      expect([seed, found.map((c) => [c.start, c.end])]).toEqual([seed, expected.map(([s, e]) => [s, e])]);
      matches += expected.length;
    }
    expect(matches).toBeGreaterThan(300);
  });
});
