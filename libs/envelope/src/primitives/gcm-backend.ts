import { createCipheriv, createDecipheriv, createSecretKey, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * AES-GCM over a list of pieces treated as one message (96-bit nonce, 128-bit tag), the one operation the sealed-blob
 * segment cipher and the one-shot helpers need. Two implementations with the same bytes:
 *
 * - `native-openssl`: the small N-API addon in libs/envelope/native (built by `npm run build:server` when a C compiler
 *   and node_api.h are present) calling the OpenSSL node bundles, writing into buffers JavaScript owns — in place when
 *   the caller hands its input over. node:crypto cannot do that: every Cipher.update allocates its output (input + 1
 *   byte, then shrinks it with a copy), and on this kind of VM the page faults and copies cost more than AES-GCM.
 * - `node-crypto`: node:crypto, fed in slices of GCM_UPDATE_SLICE. Always available; the automatic fallback.
 */
export interface GcmBackend {
  readonly name: 'native-openssl' | 'node-crypto';
  /**
   * Encrypts `pieces` as one message. With `inPlace` the pieces are overwritten with the ciphertext and returned as the
   * output (the caller gives them up); otherwise the output is new memory.
   */
  seal(key: Buffer, nonce: Buffer, aad: Buffer, pieces: readonly Buffer[], inPlace: boolean): { out: Buffer[]; tag: Buffer };
  /** Decrypts into new memory; undefined (nothing released) when the tag does not verify. */
  open(key: Buffer, nonce: Buffer, aad: Buffer, pieces: readonly Buffer[], tag: Buffer): Buffer[] | undefined;
}

/**
 * Largest input handed to one node:crypto Cipher.update call. node allocates a fresh output buffer per update; at
 * 128 KiB and above glibc serves it from mmap, so every update page-faults and zeroes fresh pages, which costs more
 * than the cipher (perf, node 24 with 1 MiB updates: 8% of the time in the GCM kernel, the rest page clearing, faults
 * and the shrink copy). Below ~32 KiB the fixed per-call cost dominates instead.
 */
export const GCM_UPDATE_SLICE = 64 * 1024;

function algorithm(key: Buffer): 'aes-128-gcm' | 'aes-192-gcm' | 'aes-256-gcm' {
  return `aes-${key.length * 8}-gcm` as 'aes-256-gcm';
}

/** Runs `pieces` through `cipher` in slices of at most GCM_UPDATE_SLICE bytes, appending the output to `out`. */
export function gcmUpdate(cipher: { update(data: Buffer): Buffer }, pieces: readonly Buffer[], out: Buffer[]): void {
  for (const piece of pieces) {
    if (piece.length <= GCM_UPDATE_SLICE) {
      if (piece.length > 0) out.push(cipher.update(piece));
      continue;
    }
    for (let o = 0; o < piece.length; o += GCM_UPDATE_SLICE) {
      out.push(cipher.update(piece.subarray(o, Math.min(piece.length, o + GCM_UPDATE_SLICE))));
    }
  }
}

export const nodeGcm: GcmBackend = {
  name: 'node-crypto',
  seal(key, nonce, aad, pieces) {
    // A KeyObject, not the Buffer: node's key-type check on a Buffer costs ~15 µs per cipher, a KeyObject ~0.1.
    const cipher = createCipheriv(algorithm(key), createSecretKey(key), nonce, { authTagLength: 16 });
    cipher.setAAD(aad);
    const out: Buffer[] = [];
    gcmUpdate(cipher, pieces, out);
    cipher.final();
    return { out, tag: cipher.getAuthTag() };
  },
  open(key, nonce, aad, pieces, tag) {
    const decipher = createDecipheriv(algorithm(key), createSecretKey(key), nonce, { authTagLength: 16 });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const out: Buffer[] = [];
    gcmUpdate(decipher, pieces, out);
    try {
      decipher.final();
    } catch {
      for (const p of out) p.fill(0);
      return undefined;
    }
    return out;
  },
};

interface Addon {
  gcm(encrypt: boolean, key: Buffer, nonce: Buffer, aad: Buffer, inputs: readonly Buffer[], outputs: readonly Buffer[], tag: Buffer): boolean;
}

function nativeBackend(addon: Addon): GcmBackend {
  return {
    name: 'native-openssl',
    seal(key, nonce, aad, pieces, inPlace) {
      const inputs = pieces.filter((p) => p.length > 0);
      const outputs = inPlace ? inputs : inputs.map((p) => Buffer.allocUnsafe(p.length));
      const tag = Buffer.allocUnsafe(16);
      addon.gcm(true, key, nonce, aad, inputs, outputs, tag);
      return { out: outputs, tag };
    },
    open(key, nonce, aad, pieces, tag) {
      const inputs = pieces.filter((p) => p.length > 0);
      const outputs = inputs.map((p) => Buffer.allocUnsafe(p.length));
      return addon.gcm(false, key, nonce, aad, inputs, outputs, tag) ? outputs : undefined;
    },
  };
}

/** Where `npm run build:server` puts the addon: build/native/ under the repository root. */
export const NATIVE_GCM_FILE = join('build', 'native', 'confide_gcm.node');

function findAddon(): string | undefined {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, NATIVE_GCM_FILE);
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}

/** The addon must give node:crypto's bytes on a random message (both directions, and reject a bad tag) to be used. */
function selfTest(backend: GcmBackend): boolean {
  const key = randomBytes(32);
  const nonce = randomBytes(12);
  const aad = randomBytes(17);
  const message = randomBytes(70_001);
  const pieces = [message.subarray(0, 3), message.subarray(3, 70_000), message.subarray(70_000)];
  const expected = nodeGcm.seal(key, nonce, aad, pieces, false);
  const got = backend.seal(key, nonce, aad, pieces, false);
  if (!Buffer.concat(got.out).equals(Buffer.concat(expected.out)) || !got.tag.equals(expected.tag)) return false;
  const opened = backend.open(key, nonce, aad, got.out, got.tag);
  if (opened === undefined || !Buffer.concat(opened).equals(message)) return false;
  const badTag = Buffer.from(got.tag);
  badTag[0] = (badTag[0] as number) ^ 1;
  return backend.open(key, nonce, aad, got.out, badTag) === undefined;
}

let loaded: { backend: GcmBackend | undefined; reason: string } | undefined;

function loadNative(): { backend: GcmBackend | undefined; reason: string } {
  if (loaded) return loaded;
  if (process.env.CONFIDE_NATIVE_GCM === 'off') return (loaded = { backend: undefined, reason: 'disabled by CONFIDE_NATIVE_GCM=off' });
  const path = findAddon();
  if (path === undefined) return (loaded = { backend: undefined, reason: `addon not built (${NATIVE_GCM_FILE})` });
  try {
    const module = { exports: {} as Addon };
    process.dlopen(module, path);
    const backend = nativeBackend(module.exports);
    if (!selfTest(backend)) return (loaded = { backend: undefined, reason: 'addon failed its self-test against node:crypto' });
    return (loaded = { backend, reason: `loaded ${path}` });
  } catch (error) {
    return (loaded = { backend: undefined, reason: `addon did not load: ${(error as Error).message}` });
  }
}

/** The native backend if it is built and passed its self-test. */
export function nativeGcm(): GcmBackend | undefined {
  return loadNative().backend;
}

/** Why the native backend is or is not in use (bench output, startup logs). */
export function nativeGcmStatus(): string {
  return loadNative().reason;
}

/** The backend sealed blobs use by default: native when available, node:crypto otherwise. */
export function defaultGcm(): GcmBackend {
  return nativeGcm() ?? nodeGcm;
}

/** Every backend usable in this process (tests run each of them). */
export function availableGcmBackends(): GcmBackend[] {
  const native = nativeGcm();
  return native === undefined ? [nodeGcm] : [native, nodeGcm];
}
