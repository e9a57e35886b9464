import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from '@jest/globals';
import { humanNames } from './lexicon.js';
import { PackedStringSet } from './packed-string-set.js';

const require = createRequire(import.meta.url);

describe('PackedStringSet', () => {
  it('answers exactly as a Set would, for members, prefixes, extensions and neighbours', () => {
    const words = ['Sara', 'Saran', 'a', 'José', 'Zoë', 'O’Brien', '李', 'x'.repeat(300), 'ab', 'abc'];
    const set = new PackedStringSet([...words, 'Sara']);
    expect(set.size).toBe(words.length);
    for (const w of words) expect(set.has(w)).toBe(true);
    for (const w of ['', 'Sar', 'Sarah', 'sara', 'Jose', 'Zoe', 'b', 'abcd', 'x'.repeat(299), 'x'.repeat(301), 'Sara\nSaran']) expect(set.has(w)).toBe(false);
  });

  it('agrees with a Set of the same names on every name and on three near misses of each', () => {
    const list = readFileSync(require.resolve('humannames/list.txt'), 'utf8').split(/\r?\n/).filter((n) => n.length > 1);
    const plain = new Set(list);
    const packed = humanNames();
    expect(packed.size).toBe(plain.size);
    let disagreements = 0;
    for (const n of list) {
      if (!packed.has(n)) disagreements++;
      for (const probe of [n.slice(1), `${n}e`, n.toLowerCase()]) if (packed.has(probe) !== plain.has(probe)) disagreements++;
    }
    expect(disagreements).toBe(0);
  });
});
