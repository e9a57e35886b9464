import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from '@jest/globals';
import { DuplicateRows, removeStaleSpills } from './duplicate-rows.js';
import { rowFingerprint } from './fingerprint-set.js';

const base = mkdtempSync(join(tmpdir(), 'confide-dups-spec-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Rows 1..n where row i repeats row (i % period) whenever i > period, plus what a Set says the duplicates are. */
function rows(n: number, period: number): { texts: string[]; expected: number[] } {
  const texts: string[] = [];
  const seen = new Set<string>();
  const expected: number[] = [];
  for (let i = 1; i <= n; i++) {
    const t = i > period && i % 3 === 0 ? `{"row":${i % period}}` : `{"row":${i}}`;
    texts.push(t);
    if (seen.has(t)) expected.push(i);
    seen.add(t);
  }
  return { texts, expected };
}

describe('DuplicateRows', () => {
  it('finds exactly the rows an earlier row had, in memory and when spilled to disk, with the same answer', () => {
    const { texts, expected } = rows(60_000, 20_000);
    expect(expected.length).toBeGreaterThan(10_000);
    const answers = [];
    for (const memoryRows of [1 << 20, 1000, 64]) {
      const d = new DuplicateRows({ memoryRows, tempDir: base });
      texts.forEach((t, i) => d.add(t, i + 1));
      if (memoryRows < texts.length) expect(d.spilledBytes).toBeGreaterThan(0);
      else expect(d.spilledBytes).toBe(0);
      answers.push(d.finish(1_000_000));
    }
    for (const a of answers) expect(a).toEqual({ count: expected.length, lines: expected });
    // Only `limit` lines are listed, the smallest ones; the count stays complete.
    const d = new DuplicateRows({ memoryRows: 500, tempDir: base });
    texts.forEach((t, i) => d.add(t, i + 1));
    expect(d.finish(25)).toEqual({ count: expected.length, lines: expected.slice(0, 25) });
  });

  it('keeps the spill encrypted and removes it on finish and on dispose (an abandoned upload)', () => {
    const d = new DuplicateRows({ memoryRows: 128, tempDir: base });
    const fp = new Uint32Array(2);
    const texts = Array.from({ length: 5000 }, (_, i) => `{"messages":[{"role":"user","content":"secret ${i}"}]}`);
    texts.forEach((t, i) => d.add(t, i + 1));
    const dir = d.spillDir!;
    expect(existsSync(dir)).toBe(true);
    const files = readdirSync(dir);
    expect(files.length).toBeGreaterThan(32);
    const spilled = Buffer.concat(files.map((f) => readFileSync(join(dir, f))));
    expect(spilled.length).toBe(d.spilledBytes);
    // No row's fingerprint appears in the spill as it would in plaintext.
    for (const t of texts.slice(0, 500)) {
      rowFingerprint(t, fp);
      expect(spilled.indexOf(Buffer.from(fp.buffer))).toBe(-1);
    }
    expect(d.finish(10)).toEqual({ count: 0, lines: [] });
    expect(existsSync(dir)).toBe(false);

    const abandoned = new DuplicateRows({ memoryRows: 64, tempDir: base });
    texts.forEach((t, i) => abandoned.add(t, i + 1));
    const dir2 = abandoned.spillDir!;
    expect(existsSync(dir2)).toBe(true);
    abandoned.dispose();
    abandoned.dispose();
    expect(existsSync(dir2)).toBe(false);
    expect(readdirSync(base).filter((f) => f.startsWith('confide-dups-'))).toEqual([]);
  });

  it('holds no file descriptor between spills (many uploads at once)', () => {
    const open = () => readdirSync('/proc/self/fd').length;
    const before = open();
    const many = Array.from({ length: 20 }, () => new DuplicateRows({ memoryRows: 64, tempDir: base }));
    for (let i = 0; i < 2000; i++) for (const d of many) d.add(`row ${i}`, i + 1);
    expect(many.every((d) => d.spilledBytes > 0)).toBe(true);
    expect(open()).toBeLessThanOrEqual(before + 2);
    for (const d of many) expect(d.finish(1)).toEqual({ count: 0, lines: [] });
  });

  it('stops tracking past maxRows', () => {
    const d = new DuplicateRows({ maxRows: 3 });
    ['a', 'b', 'c', 'a', 'b'].forEach((t, i) => d.add(t, i + 1));
    expect(d.rows).toBe(3);
    expect(d.finish(10)).toEqual({ count: 0, lines: [] });
  });
});

describe('removeStaleSpills', () => {
  it('removes only spill directories nothing was written to for the idle time', () => {
    const dir = mkdtempSync(join(base, 'stale-'));
    const old = new DuplicateRows({ memoryRows: 64, tempDir: dir });
    const live = new DuplicateRows({ memoryRows: 64, tempDir: dir });
    for (let i = 0; i < 500; i++) {
      old.add(`row ${i}`, i + 1);
      live.add(`row ${i}`, i + 1);
    }
    const hourAgo = new Date(Date.now() - 2 * 3600_000);
    for (const f of readdirSync(old.spillDir!)) utimesSync(join(old.spillDir!, f), hourAgo, hourAgo);
    utimesSync(old.spillDir!, hourAgo, hourAgo);
    mkdirSync(join(dir, 'not-a-spill'));
    utimesSync(join(dir, 'not-a-spill'), hourAgo, hourAgo);
    expect(removeStaleSpills(dir, 3600_000)).toBe(1);
    expect(existsSync(old.spillDir!)).toBe(false);
    expect(existsSync(live.spillDir!)).toBe(true);
    expect(existsSync(join(dir, 'not-a-spill'))).toBe(true);
    expect(removeStaleSpills(join(dir, 'missing'), 0)).toBe(0);
    old.dispose();
    live.dispose();
  });
});
