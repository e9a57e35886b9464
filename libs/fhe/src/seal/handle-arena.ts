import type { ClassHandle } from 'node-seal';

let liveHandles = 0;

/** SEAL handles created through this lib and not yet freed (process-wide). A leak shows as growth. */
export function liveSealHandles(): number {
  return liveHandles;
}

/**
 * Owns SEAL handles and frees them all at once. node-seal 7 has no finalizers: a handle that is not `delete()`d
 * stays in the WASM heap until the process ends (node-seal #68). Every handle the lib creates is adopted by an
 * arena: a per-call arena freed in `finally`, or a session arena freed by `dispose()`.
 */
export class HandleArena {
  private readonly handles: ClassHandle[] = [];

  /** Adopts a handle; returns it for chaining (`const ct = arena.own(new seal.Ciphertext())`). */
  own<T extends ClassHandle>(handle: T): T {
    this.handles.push(handle);
    liveHandles++;
    return handle;
  }

  /** Frees one handle early (it must belong to this arena). */
  free(handle: ClassHandle): void {
    const index = this.handles.lastIndexOf(handle);
    if (index < 0) return;
    this.handles.splice(index, 1);
    release(handle);
  }

  /** Frees every handle in reverse order of adoption. Safe to call twice. */
  dispose(): void {
    while (this.handles.length > 0) {
      const handle = this.handles.pop();
      if (handle !== undefined) release(handle);
    }
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  get size(): number {
    return this.handles.length;
  }
}

function release(handle: ClassHandle): void {
  liveHandles--;
  if (!handle.isDeleted()) handle.delete();
}

/** Runs `body` with a fresh arena and frees everything it adopted, whether `body` returns or throws. */
export function withArena<T>(body: (arena: HandleArena) => T): T {
  const arena = new HandleArena();
  try {
    return body(arena);
  } finally {
    arena.dispose();
  }
}
