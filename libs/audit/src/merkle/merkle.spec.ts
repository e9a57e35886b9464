import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import {
  CompactRange,
  EMPTY_ROOT,
  consistencyRanges,
  inclusionRanges,
  leafHash,
  rangeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
  type SubtreeKey,
} from './merkle.js';

const FIXTURES = join(process.cwd(), 'test/fixtures/merkle-rfc6962');
const LEAVES = ['', '00', '10', '2021', '3031', '40414243', '5051525354555657', '606162636465666768696a6b6c6d6e6f'].map(
  (h) => Buffer.from(h, 'hex'),
);
const ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

function jsonFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? jsonFiles(p) : p.endsWith('.json') ? [p] : [];
  });
}
const b64 = (s: string): Buffer => Buffer.from(s, 'base64');

/** A tree held in memory as stored subtrees, the way the database keeps it. */
function memoryTree(leaves: readonly Buffer[]): { read: (k: SubtreeKey) => Buffer; range: CompactRange } {
  const nodes = new Map<string, Buffer>();
  const range = new CompactRange();
  for (const leaf of leaves) for (const f of range.append(leafHash(leaf))) nodes.set(`${f.level}:${f.index}`, f.hash);
  return {
    range,
    read: (k) => {
      const h = nodes.get(`${k.level}:${k.index}`);
      if (!h) throw new Error(`missing node ${k.level}:${k.index}`);
      return h;
    },
  };
}

describe('RFC 6962 tree hashing', () => {
  it('reproduces the reference roots for every prefix of the 8-leaf tree', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(ROOTS[0]);
    for (let n = 1; n <= 8; n++) {
      const leaves = LEAVES.slice(0, n).map(leafHash);
      expect(rootFromLeafHashes(leaves).toString('hex')).toBe(ROOTS[n]);
      const tree = memoryTree(LEAVES.slice(0, n));
      expect(rangeHash(0, n, tree.read).toString('hex')).toBe(ROOTS[n]);
      expect(tree.range.root().toString('hex')).toBe(ROOTS[n]);
    }
  });
});

describe('RFC 6962 inclusion vectors', () => {
  const files = jsonFiles(join(FIXTURES, 'inclusion'));
  it('has vectors to run', () => expect(files.length).toBeGreaterThan(50));
  it.each(files.map((f) => [f.slice(FIXTURES.length + 1), f]))('%s', (_name, file) => {
    const v = JSON.parse(readFileSync(file, 'utf8')) as {
      leafIdx: number; treeSize: number; root: string; leafHash: string; proof: string[] | null; wantErr: boolean;
    };
    const run = (): void =>
      verifyInclusion(v.leafIdx, v.treeSize, b64(v.leafHash), (v.proof ?? []).map(b64), b64(v.root));
    if (v.wantErr) expect(run).toThrow();
    else expect(run).not.toThrow();
  });
});

describe('RFC 6962 consistency vectors', () => {
  const files = jsonFiles(join(FIXTURES, 'consistency'));
  it('has vectors to run', () => expect(files.length).toBeGreaterThan(30));
  it.each(files.map((f) => [f.slice(FIXTURES.length + 1), f]))('%s', (_name, file) => {
    const v = JSON.parse(readFileSync(file, 'utf8')) as {
      size1: number; size2: number; root1: string; root2: string; proof: string[] | null; wantErr: boolean;
    };
    const run = (): void => verifyConsistency(v.size1, v.size2, b64(v.root1), b64(v.root2), (v.proof ?? []).map(b64));
    if (v.wantErr) expect(run).toThrow();
    else expect(run).not.toThrow();
  });
});

describe('proof construction from stored subtrees', () => {
  const leaves = Array.from({ length: 77 }, (_, i) => Buffer.from(`entry-${i}`));
  const tree = memoryTree(leaves);

  it('builds inclusion proofs that verify for every leaf of every tree size', () => {
    for (let n = 1; n <= leaves.length; n++) {
      const root = rangeHash(0, n, tree.read);
      for (let m = 0; m < n; m++) {
        const proof = inclusionRanges(m, n).map(([a, b]) => rangeHash(a, b, tree.read));
        expect(() => verifyInclusion(m, n, leafHash(leaves[m]!), proof, root)).not.toThrow();
      }
    }
  });

  it('builds consistency proofs that verify between every pair of sizes', () => {
    for (let n = 1; n <= leaves.length; n++) {
      const root2 = rangeHash(0, n, tree.read);
      for (let m = 1; m <= n; m++) {
        const root1 = rangeHash(0, m, tree.read);
        const proof = consistencyRanges(m, n).map(([a, b]) => rangeHash(a, b, tree.read));
        expect(() => verifyConsistency(m, n, root1, root2, proof)).not.toThrow();
      }
    }
  });

  it('rejects a proof for a tampered leaf', () => {
    const root = rangeHash(0, 77, tree.read);
    const proof = inclusionRanges(5, 77).map(([a, b]) => rangeHash(a, b, tree.read));
    expect(() => verifyInclusion(5, 77, leafHash(Buffer.from('entry-X')), proof, root)).toThrow();
  });
});
