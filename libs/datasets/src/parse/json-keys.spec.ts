import { describe, expect, it } from '@jest/globals';
import { FORBIDDEN_KEYS, findKeyProblem, type KeyProblem } from './json-keys.js';

// The scanner as it was before strings were skipped with indexOf and paths built only for a problem: the oracle.
interface Frame {
  readonly isObject: boolean;
  readonly keys: Set<string> | undefined;
  readonly path: string;
  index: number;
  /** Key of the member whose value comes next (objects). */
  pendingKey: string | undefined;
}

function previousFindKeyProblem(text: string): KeyProblem | undefined {
  const stack: Frame[] = [];
  let i = 0;
  const n = text.length;
  const childPath = (): string => {
    const top = stack[stack.length - 1];
    if (!top) return '';
    if (top.isObject) return top.path === '' ? (top.pendingKey ?? '') : `${top.path}.${top.pendingKey ?? ''}`;
    return `${top.path}[${top.index}]`;
  };
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // string: find its end
      let j = i + 1;
      let escaped = false;
      while (j < n) {
        const d = text.charCodeAt(j);
        if (d === 0x5c) {
          escaped = true;
          j += 2;
          continue;
        }
        if (d === 0x22) break;
        j++;
      }
      const top = stack[stack.length - 1];
      // A string directly inside an object, awaiting a key, is a key.
      if (top?.isObject && top.pendingKey === undefined) {
        const raw = text.slice(i + 1, j);
        const key = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
        if (FORBIDDEN_KEYS.has(key)) return { kind: 'forbidden_key', path: top.path };
        if (top.keys!.has(key)) return { kind: 'duplicate_key', path: top.path };
        top.keys!.add(key);
        top.pendingKey = key;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      const path = childPath();
      stack.push({ isObject: c === 0x7b, keys: c === 0x7b ? new Set() : undefined, path, index: 0, pendingKey: undefined });
    } else if (c === 0x7d || c === 0x5d) {
      stack.pop();
    } else if (c === 0x2c) {
      const top = stack[stack.length - 1];
      if (top) {
        if (top.isObject) top.pendingKey = undefined;
        else top.index++;
      }
    }
    i++;
  }
  return undefined;
}

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

// As they appear in JSON text: escaped quotes and backslashes, a \u escape that spells "name".
const KEYS = ['role', 'content', 'a', 'b', 'x\\"y', 'q\\\\', 'role', 'constructor', 'na\\u006de', 'name', '__proto__'];
const STRINGS = ['', 'plain', 'quote \\" inside', 'ends with backslash \\\\', '\\\\\\"', 'unicode \\u00e9 \\ud83d\\ude00', 'comma, {brace} [bracket]', ':'];

/** JSON text (duplicate keys allowed) with random nesting, keys, escapes and whitespace. */
function randomJson(r: () => number, depth: number): string {
  const ws = (): string => (r() < 0.2 ? ' ' : r() < 0.05 ? '\n\t' : '');
  const pick = <T>(a: readonly T[]): T => a[Math.floor(r() * a.length)]!;
  const k = r();
  if (depth > 3 || k < 0.3) return pick([`"${pick(STRINGS)}"`, '1', '-2.5e3', 'true', 'null']);
  // Mostly small containers, sometimes objects past the size where keys move into a Set.
  const n = r() < 0.15 ? 8 + Math.floor(r() * 10) : Math.floor(r() * 4);
  const items: string[] = [];
  if (k < 0.65) {
    const used = new Set<string>();
    for (let i = 0; i < n; i++) {
      // Mostly distinct keys, so most texts get past their first object.
      let key = pick(KEYS);
      if (used.has(key) && r() < 0.8) key = `k${i}`;
      if (FORBIDDEN_KEYS.has(key) && r() < 0.8) key = `f${i}`;
      used.add(key);
      items.push(`${ws()}"${key}"${ws()}:${ws()}${randomJson(r, depth + 1)}`);
    }
    return `{${items.join(',')}${ws()}}`;
  }
  for (let i = 0; i < n; i++) items.push(`${ws()}${randomJson(r, depth + 1)}`);
  return `[${items.join(',')}${ws()}]`;
}

describe('findKeyProblem', () => {
  it('reports what the previous scanner reported, on generated JSON with duplicate, forbidden and escaped keys', () => {
    const kinds = new Map<string, number>();
    for (let seed = 1; seed <= 3000; seed++) {
      const text = randomJson(rng(seed), 0);
      JSON.parse(text);
      const expected = previousFindKeyProblem(text);
      expect([seed, findKeyProblem(text)]).toEqual([seed, expected]);
      kinds.set(expected?.kind ?? 'none', (kinds.get(expected?.kind ?? 'none') ?? 0) + 1);
      if (expected && expected.path !== '') kinds.set('nested', (kinds.get('nested') ?? 0) + 1);
    }
    expect(kinds.get('duplicate_key')).toBeGreaterThan(50);
    expect(kinds.get('forbidden_key')).toBeGreaterThan(50);
    expect(kinds.get('nested')).toBeGreaterThan(50);
    expect(kinds.get('none')).toBeGreaterThan(50);
  });

  it('names the object holding the key', () => {
    expect(findKeyProblem('{"messages":[{"role":"user"},{"role":"a","role":"b"}]}')).toEqual({ kind: 'duplicate_key', path: 'messages[1]' });
    expect(findKeyProblem('{"a":{"b\\"":[1,{"constructor":1}]}}')).toEqual({ kind: 'forbidden_key', path: 'a.b"[1]' });
    expect(findKeyProblem('{"a":1,"\\u0061":2}')).toEqual({ kind: 'duplicate_key', path: '' });
    const keys = Array.from({ length: 20 }, (_, i) => `"k${i}":${i}`);
    expect(findKeyProblem(`{"x":{${keys.join(',')}}}`)).toBeUndefined();
    expect(findKeyProblem(`{"x":{${keys.join(',')},"k3":0}}`)).toEqual({ kind: 'duplicate_key', path: 'x' });
    expect(findKeyProblem(`{"x":{${keys.join(',')},"k19":0}}`)).toEqual({ kind: 'duplicate_key', path: 'x' });
  });
});
