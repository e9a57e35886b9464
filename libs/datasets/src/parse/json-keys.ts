/** Keys that would be dangerous if any consumer copied parsed objects with merge-like code. */
export const FORBIDDEN_KEYS: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

export interface KeyProblem {
  readonly kind: 'duplicate_key' | 'forbidden_key';
  /** Path of the object holding the key (`messages[1]`), '' for the top level. */
  readonly path: string;
}

/** Objects with more keys than this look them up in a Set; smaller ones (nearly all) scan a short array. */
const SMALL_OBJECT_KEYS = 8;

interface Frame {
  readonly isObject: boolean;
  /** Keys seen so far (objects), while there are few. */
  readonly keys: string[] | undefined;
  /** All keys seen, once there are more than SMALL_OBJECT_KEYS. */
  keySet: Set<string> | undefined;
  index: number;
  /** Key of the member whose value comes next (objects). */
  pendingKey: string | undefined;
}

/**
 * Finds duplicate and forbidden object keys in text that JSON.parse already accepted (JSON.parse silently keeps
 * the last duplicate, which would let two readers of one record disagree). Returns the first problem, if any.
 */
export function findKeyProblem(text: string): KeyProblem | undefined {
  const stack: Frame[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // The closing quote: the first one after an even run of backslashes (the text is valid JSON).
      let j = text.indexOf('"', i + 1);
      while (j > 0 && isEscaped(text, j)) j = text.indexOf('"', j + 1);
      if (j < 0) j = n;
      const top = stack[stack.length - 1];
      // A string directly inside an object, awaiting a key, is a key.
      if (top?.isObject && top.pendingKey === undefined) {
        const raw = text.slice(i + 1, j);
        const key = raw.indexOf('\\') >= 0 ? (JSON.parse(text.slice(i, j + 1)) as string) : raw;
        if (FORBIDDEN_KEYS.has(key)) return { kind: 'forbidden_key', path: pathOf(stack) };
        if (!addKey(top, key)) return { kind: 'duplicate_key', path: pathOf(stack) };
        top.pendingKey = key;
      }
      i = j + 1;
      continue;
    }
    if (c === 0x7b || c === 0x5b) {
      stack.push({ isObject: c === 0x7b, keys: c === 0x7b ? [] : undefined, keySet: undefined, index: 0, pendingKey: undefined });
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

/** Records `key` in an object's frame; false when the object already had it. */
function addKey(frame: Frame, key: string): boolean {
  if (frame.keySet !== undefined) {
    if (frame.keySet.has(key)) return false;
    frame.keySet.add(key);
    return true;
  }
  const keys = frame.keys!;
  if (keys.includes(key)) return false;
  if (keys.length < SMALL_OBJECT_KEYS) keys.push(key);
  else frame.keySet = new Set([...keys, key]);
  return true;
}

/** An odd run of backslashes right before `at`. */
function isEscaped(text: string, at: number): boolean {
  let k = at - 1;
  while (text.charCodeAt(k) === 0x5c) k--;
  return (at - 1 - k) % 2 === 1;
}

/**
 * Path of the innermost container (`messages[1]`, '' for the top level), built only when a problem is reported:
 * each container's key or index in its parent is still the parent's pending key or current index.
 */
function pathOf(stack: readonly Frame[]): string {
  let path = '';
  for (let d = 1; d < stack.length; d++) {
    const parent = stack[d - 1]!;
    if (parent.isObject) path = path === '' ? (parent.pendingKey ?? '') : `${path}.${parent.pendingKey ?? ''}`;
    else path = `${path}[${parent.index}]`;
  }
  return path;
}
