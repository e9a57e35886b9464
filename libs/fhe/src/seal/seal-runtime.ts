import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import SEAL, { type MainModule } from 'node-seal';
import { FheError } from '../fhe.error.js';

/** The loaded node-seal module plus a view of its WebAssembly memory (for leak checks and benchmarks). */
export interface SealRuntime {
  readonly seal: MainModule;
  /** Current size of the WASM linear memory in bytes. It only grows, so a leak shows as growth. */
  heapBytes(): number;
}

let loading: Promise<SealRuntime> | undefined;

/**
 * Loads node-seal once per process (each worker thread gets its own instance). We instantiate the module ourselves
 * through Emscripten's `instantiateWasm` hook only to keep a handle on the exported memory; node-seal 7 exports no
 * heap accessor of its own.
 */
export function loadSeal(): Promise<SealRuntime> {
  loading ??= instantiate().catch((error: unknown) => {
    loading = undefined;
    throw new FheError('seal_unavailable', 'the node-seal WebAssembly module could not be loaded', undefined, String(error));
  });
  return loading;
}

async function instantiate(): Promise<SealRuntime> {
  const wasmUrl = new URL('seal_throws.wasm', import.meta.resolve('node-seal'));
  const binary = await readFile(fileURLToPath(wasmUrl));
  let memory: WebAssembly.Memory | undefined;
  const seal = await SEAL({
    instantiateWasm(imports: WebAssembly.Imports, done: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void) {
      WebAssembly.instantiate(binary, imports).then(
        ({ instance, module }) => {
          memory = Object.values(instance.exports).find(isMemory);
          done(instance, module);
        },
        (error: unknown) => {
          throw error;
        },
      );
      return {};
    },
  });
  return {
    seal,
    heapBytes: () => memory?.buffer.byteLength ?? Number.NaN,
  };
}

function isMemory(value: unknown): value is WebAssembly.Memory {
  // Duck-typed: under Jest's VM modules the Memory constructor may come from another realm.
  return typeof value === 'object' && value !== null && 'grow' in value && 'buffer' in value;
}
