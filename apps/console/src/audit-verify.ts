/**
 * Verifies the audit log in the browser with WebCrypto only, trusting nothing but the published verifier key:
 * checkpoint signatures (C2SP signed note, Ed25519), the tree rebuilt from every leaf hash against each signed root,
 * each visible entry's leaf hash, RFC 9162 inclusion proofs for those entries and consistency proofs between
 * consecutive checkpoints. Same checks as libs/audit `verifyAuditLog` + `checkInclusion`/`checkConsistency`.
 */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly root: Uint8Array;
  readonly time: string;
}

const enc = new TextEncoder();

export function b64(s: string): Uint8Array {
  const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

export function toB64(u: Uint8Array): string {
  return btoa(String.fromCharCode(...u));
}

function concat(...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

async function sha256(data: Uint8Array<ArrayBuffer>): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', data));
}

export const leafHash = (data: Uint8Array): Promise<Uint8Array> => sha256(concat(new Uint8Array([0]), data));
export const nodeHash = (l: Uint8Array, r: Uint8Array): Promise<Uint8Array> => sha256(concat(new Uint8Array([1]), l, r));

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** `<name>+<hex key id>+<base64(0x01 || ed25519 public key)>`; returns an opener for notes signed by it. */
export async function checkpointOpener(verifierKey: string): Promise<(note: string) => Promise<Checkpoint>> {
  const m = /^([^\s+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/=]+)$/.exec(verifierKey.trim());
  if (!m) throw new Error('the verifier key is malformed');
  const [, name, idHex, keyB64] = m as unknown as [string, string, string, string];
  const raw = b64(keyB64);
  if (raw.length !== 33 || raw[0] !== 1) throw new Error('the verifier key is not an Ed25519 note key');
  const pub = raw.slice(1);
  const keyId = (await sha256(concat(enc.encode(`${name}\n`), new Uint8Array([1]), pub))).slice(0, 4);
  if (Array.from(keyId, (b) => b.toString(16).padStart(2, '0')).join('') !== idHex) throw new Error('the verifier key id does not match the key');
  const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify']);
  return async (note: string) => {
    const split = note.indexOf('\n\n');
    if (split < 0) throw new Error('note has no signature block');
    const body = note.slice(0, split + 1);
    const sigLine = note
      .slice(split + 2)
      .split('\n')
      .map((l) => /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(l))
      .find((x) => x && x[1] === name && equal(b64(x[2]!).slice(0, 4), keyId));
    if (!sigLine) throw new Error(`note carries no signature by ${name}`);
    const sig = b64(sigLine[2]!).slice(4);
    if (!(await crypto.subtle.verify({ name: 'Ed25519' }, key, sig, enc.encode(body)))) throw new Error('checkpoint signature is invalid');
    const [origin, size, root, time] = body.split('\n');
    if (!origin || !size || !/^(0|[1-9]\d*)$/.test(size) || !root || !time?.startsWith('time ')) throw new Error('checkpoint body is malformed');
    const r = b64(root);
    if (r.length !== 32) throw new Error('checkpoint root is not 32 bytes');
    return { origin, size: Number(size), root: r, time: time.slice(5) };
  };
}

/** RFC 9162 §2.1.1 Merkle tree hash, computed level by level. */
export async function rootOf(leaves: readonly Uint8Array[]): Promise<Uint8Array> {
  if (leaves.length === 0) return sha256(new Uint8Array(0));
  // Split at the largest power of two below n, recursively (equivalent to RFC 9162's definition).
  const mth = async (lo: number, hi: number): Promise<Uint8Array> => {
    if (hi - lo === 1) return leaves[lo]!;
    let k = 1;
    while (k * 2 < hi - lo) k *= 2;
    return nodeHash(await mth(lo, lo + k), await mth(lo + k, hi));
  };
  return mth(0, leaves.length);
}

/** RFC 9162 §2.1.3.2. */
export async function verifyInclusion(index: number, size: number, leaf: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): Promise<boolean> {
  if (index >= size) return false;
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = await nodeHash(p, r);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) ((fn = Math.floor(fn / 2)), (sn = Math.floor(sn / 2)));
    } else r = await nodeHash(r, p);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/** RFC 9162 §2.1.4.2. */
export async function verifyConsistency(first: number, second: number, firstRoot: Uint8Array, secondRoot: Uint8Array, proof: readonly Uint8Array[]): Promise<boolean> {
  if (first > second) return false;
  if (first === second) return proof.length === 0 && equal(firstRoot, secondRoot);
  if (first === 0) return proof.length === 0;
  const path = (first & (first - 1)) === 0 ? [firstRoot, ...proof] : [...proof];
  if (path.length === 0) return false;
  let fn = first - 1;
  let sn = second - 1;
  while (fn % 2 === 1) ((fn = Math.floor(fn / 2)), (sn = Math.floor(sn / 2)));
  let fr = path[0]!;
  let sr = path[0]!;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = await nodeHash(c, fr);
      sr = await nodeHash(c, sr);
      if (fn % 2 === 0) while (fn % 2 === 0 && fn !== 0) ((fn = Math.floor(fn / 2)), (sn = Math.floor(sn / 2)));
    } else sr = await nodeHash(sr, c);
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, firstRoot) && equal(sr, secondRoot);
}
