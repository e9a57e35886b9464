/** Keys that would be dangerous if any consumer copied parsed objects with merge-like code. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface KeyProblem {
  readonly kind: 'duplicate_key' | 'forbidden_key';
  /** Path of the object holding the key (`messages[1]`), '' for the top level. */
  readonly path: string;
}

interface Frame {
  readonly isObject: boolean;
  readonly keys: Set<string> | undefined;
  readonly path: string;
  index: number;
  /** Key of the member whose value comes next (objects). */
  pendingKey: string | undefined;
}

/**
 * Finds duplicate and forbidden object keys in text that JSON.parse already accepted (JSON.parse silently keeps
 * the last duplicate, which would let two readers of one record disagree). Returns the first problem, if any.
 */
export function findKeyProblem(text: string): KeyProblem | undefined {
  // Fast path: no object can hold two keys without a comma.
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
