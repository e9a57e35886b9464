import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import { FingerprintSet, rowFingerprint } from './fingerprint-set.js';

const fp = (i: number): [number, number] => {
  const d = createHash('sha256').update(String(i)).digest();
  return [d.readUInt32BE(0), d.readUInt32BE(4)];
};

describe('FingerprintSet', () => {
  it('adds new fingerprints once and reports repeats, across growth', () => {
    const set = new FingerprintSet(4);
    for (let i = 0; i < 20_000; i++) expect(set.add(...fp(i))).toBe(true);
    expect(set.size).toBe(20_000);
    for (let i = 0; i < 20_000; i += 7) expect(set.add(...fp(i))).toBe(false);
    for (let i = 20_000; i < 20_100; i++) expect(set.has(...fp(i))).toBe(false);
    expect(set.size).toBe(20_000);
    const bytes = set.bytes;
    set.clear();
    expect({ size: set.size, bytes: set.bytes, has: set.has(...fp(7)) }).toEqual({ size: 0, bytes, has: false });
    expect(set.add(...fp(7))).toBe(true);
  });

  it('tells apart fingerprints that share either half, and stores the all-zero one', () => {
    const set = new FingerprintSet();
    expect(set.add(1, 2)).toBe(true);
    expect(set.add(1, 3)).toBe(true);
    expect(set.add(2, 2)).toBe(true);
    expect(set.add(0, 0)).toBe(true);
    expect(set.add(0, 0)).toBe(false);
    expect(set.has(1, 2) && set.has(1, 3) && set.has(2, 2)).toBe(true);
    expect(set.has(2, 3)).toBe(false);
    expect(set.add(0xffffffff, -1)).toBe(true);
    expect(set.has(0xffffffff, 0xffffffff)).toBe(true);
  });

  it('stays within 8 bytes / (3/8 load) a fingerprint, resizing one shard at a time', () => {
    const set = new FingerprintSet();
    let largestStep = 0;
    let before = set.bytes;
    for (let i = 0; i < 200_000; i++) {
      set.add(...fp(i));
      largestStep = Math.max(largestStep, set.bytes - before);
      before = set.bytes;
    }
    expect(set.size).toBe(200_000);
    // Worst case just after a shard doubled: 3/8 full. Plus the minimum table of every shard.
    expect(set.bytes).toBeLessThanOrEqual((200_000 * 8) / (3 / 8) + 64 * 16 * 8);
    // A resize grows one shard, never the whole table (one shard at 200k rows is ~64 KiB).
    expect(largestStep).toBeLessThan(set.bytes / 16);
  });

  it('releases a shard\'s old table as soon as it has doubled, not at the next garbage collection', () => {
    // Fingerprints from an allocation-free mix (fp's digests would churn Buffer pool slabs through arrayBuffers).
    const mix = (x: number): number => {
      x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
      x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
      return (x ^ (x >>> 16)) >>> 0;
    };
    const set = new FingerprintSet();
    const start = process.memoryUsage().arrayBuffers;
    let worst = 0;
    for (let i = 0; i < 1_000_000; i++) {
      set.add(mix(i + 1), mix(i ^ 0x5bd1e995));
      if (i % 5000 === 0) worst = Math.max(worst, process.memoryUsage().arrayBuffers - start - set.bytes);
    }
    // Held outside the tables: at most the one old table being copied (a shard is ~1/64 of the set), never the
    // 8 MiB of old tables that 1 M rows leave behind when they wait for the collector.
    expect(worst).toBeLessThan(set.bytes / 16);
  });
});

describe('rowFingerprint', () => {
  const of = (text: string): string => {
    const out = new Uint32Array(2);
    rowFingerprint(text, out);
    return `${out[0]}:${out[1]}`;
  };

  it('gives equal rows equal fingerprints and 200,000 distinct near-identical rows distinct ones', () => {
    expect(of('{"messages":[]}')).toBe(of(JSON.parse(JSON.stringify('{"messages":[]}')) as string));
    const rows = new Set<string>();
    const base = JSON.stringify({ messages: [{ role: 'user', content: 'Could you help me with ticket 1?' }, { role: 'assistant', content: 'Sure.' }] });
    // Every one-unit substitution, deletion and adjacent swap of a record, then records differing in a counter.
    for (let i = 0; i < base.length; i++) {
      for (const c of ['a', 'b', '0', '1', ' ', 'é', '\u0000']) rows.add(base.slice(0, i) + c + base.slice(i + 1));
      rows.add(base.slice(0, i) + base.slice(i + 1));
      rows.add(base.slice(0, i) + base[i + 1] + base[i] + base.slice(i + 2));
    }
    for (let i = 0; rows.size < 200_000; i++) rows.add(base.replace('ticket 1', `ticket ${i}`));
    const seen = new Set<string>();
    for (const r of rows) seen.add(of(r));
    expect(seen.size).toBe(rows.size);
  });

  it('spreads the low bits the set indexes by', () => {
    const buckets = new Array<number>(64).fill(0);
    const out = new Uint32Array(2);
    for (let i = 0; i < 64_000; i++) {
      rowFingerprint(`{"prompt":"row ${i}","completion":"ok"}`, out);
      buckets[out[1]! & 63]!++;
      buckets[out[0]! & 63]!++;
    }
    // 2,000 expected per bucket; a skewed hash would leave some far off.
    for (const b of buckets) expect(Math.abs(b - 2000)).toBeLessThan(250);
  });
});
