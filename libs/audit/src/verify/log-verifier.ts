import { checkpointVerifier, type Checkpoint } from '../checkpoint/signed-note.js';
import { CompactRange, leafHash, ProofError, verifyConsistency, verifyInclusion } from '../merkle/merkle.js';

/**
 * Offline verification of a downloaded audit log. Trusts only the published verifier key: recomputes every visible
 * entry's leaf hash, rebuilds the tree from the leaf hashes, and checks every signed checkpoint's root. Reports the
 * first bad index it can pin down.
 */
export interface LeafRow {
  readonly index: number;
  /** base64 leaf hash as stored. */
  readonly hash: string;
}

export interface EntryRow {
  readonly index: number;
  /** The canonical JSON record exactly as stored. */
  readonly canonical: string;
  readonly leafHash: string;
}

export type ProblemCode =
  | 'checkpoint_signature_invalid'
  | 'checkpoint_origin_mismatch'
  | 'leaf_missing'
  | 'leaf_out_of_order'
  | 'entry_index_mismatch'
  | 'entry_hash_mismatch'
  | 'entry_unparseable'
  | 'root_mismatch'
  | 'log_shorter_than_checkpoint'
  | 'proof_invalid'
  | 'rollback_detected';

export interface Problem {
  readonly code: ProblemCode;
  /** The leaf index the problem is pinned to exactly. */
  readonly index?: number;
  /** When it cannot be pinned: the bad entry lies in [range[0], range[1]) (between two signed checkpoints). */
  readonly range?: readonly [number, number];
  readonly message: string;
}

export interface VerifyInput {
  readonly verifierKey: string;
  readonly origin?: string;
  readonly checkpoints: readonly string[];
  readonly leaves: readonly LeafRow[];
  readonly entries: readonly EntryRow[];
  /** A checkpoint this verifier accepted earlier; the log must still be consistent with it. */
  readonly previous?: { readonly size: number; readonly root: string };
}

export interface VerifyReport {
  readonly ok: boolean;
  readonly verifiedSize: number;
  readonly latest?: { readonly size: number; readonly root: string; readonly time: string };
  readonly checkpointsChecked: number;
  readonly entriesChecked: number;
  readonly firstBadIndex?: number;
  readonly problems: readonly Problem[];
}

export function verifyAuditLog(input: VerifyInput): VerifyReport {
  const problems: Problem[] = [];
  const open = checkpointVerifier(input.verifierKey);
  const checkpoints: Checkpoint[] = [];
  for (const note of input.checkpoints) {
    try {
      const cp = open(note);
      if (input.origin && cp.origin !== input.origin) {
        problems.push({ code: 'checkpoint_origin_mismatch', message: `checkpoint of size ${cp.size} is for origin ${cp.origin}` });
      } else checkpoints.push(cp);
    } catch (e) {
      problems.push({ code: 'checkpoint_signature_invalid', message: (e as Error).message });
    }
  }
  checkpoints.sort((a, b) => a.size - b.size);

  // Leaves must be exactly 0..n-1 in order.
  const leafHashes: Buffer[] = [];
  for (let i = 0; i < input.leaves.length; i++) {
    const row = input.leaves[i]!;
    if (row.index !== i) {
      problems.push(
        row.index > i
          ? { code: 'leaf_missing', index: i, message: `entry ${i} is missing from the log` }
          : { code: 'leaf_out_of_order', index: i, message: `entry ${row.index} appears at position ${i}` },
      );
      break;
    }
    leafHashes.push(Buffer.from(row.hash, 'base64'));
  }

  // Every entry we can see must hash to its leaf and claim its own index.
  let entriesChecked = 0;
  for (const e of input.entries) {
    entriesChecked += 1;
    let claimed: unknown;
    try {
      claimed = (JSON.parse(e.canonical) as { index?: unknown }).index;
    } catch {
      problems.push({ code: 'entry_unparseable', index: e.index, message: `entry ${e.index} is not valid JSON` });
      continue;
    }
    if (claimed !== e.index) {
      problems.push({ code: 'entry_index_mismatch', index: e.index, message: `entry at ${e.index} records index ${String(claimed)}` });
      continue;
    }
    const recomputed = leafHash(Buffer.from(e.canonical, 'utf8'));
    const stored = leafHashes[e.index];
    if (!recomputed.equals(Buffer.from(e.leafHash, 'base64')) || (stored && !recomputed.equals(stored))) {
      problems.push({ code: 'entry_hash_mismatch', index: e.index, message: `entry ${e.index} does not match its leaf hash` });
    }
  }

  // Rebuild the tree and check every checkpoint's root at its size.
  const range = new CompactRange();
  let verifiedSize = 0;
  let lastGood = 0;
  let ci = 0;
  const roots = new Map<number, Buffer>();
  const check = (): void => {
    while (ci < checkpoints.length && checkpoints[ci]!.size === range.size) {
      const cp = checkpoints[ci]!;
      const root = range.root();
      roots.set(cp.size, root);
      if (root.equals(cp.root)) {
        if (problems.every((p) => p.code !== 'root_mismatch')) verifiedSize = cp.size;
        lastGood = cp.size;
      } else {
        problems.push({ code: 'root_mismatch', range: [lastGood, cp.size], message: `the log does not match the signed checkpoint of size ${cp.size}: a bad entry lies in [${lastGood}, ${cp.size})` });
      }
      ci += 1;
    }
  };
  check();
  for (const h of leafHashes) {
    range.append(h);
    check();
  }
  for (; ci < checkpoints.length; ci++) {
    const cp = checkpoints[ci]!;
    problems.push({ code: 'log_shorter_than_checkpoint', index: range.size, message: `a checkpoint signs ${cp.size} entries but the log has ${range.size}` });
  }

  if (input.previous) {
    const prevRoot = roots.get(input.previous.size) ?? (input.previous.size <= range.size ? undefined : null);
    if (prevRoot === null) {
      problems.push({ code: 'rollback_detected', index: range.size, message: `the log shrank below the previously verified size ${input.previous.size}` });
    } else if (prevRoot === undefined) {
      // Recompute the root at the previous size from the leaves.
      const r = new CompactRange();
      for (let i = 0; i < input.previous.size; i++) r.append(leafHashes[i]!);
      if (!r.root().equals(Buffer.from(input.previous.root, 'base64'))) {
        problems.push({ code: 'rollback_detected', message: `the log was rewritten below the previously verified size ${input.previous.size}` });
      }
    } else if (!prevRoot.equals(Buffer.from(input.previous.root, 'base64'))) {
      problems.push({ code: 'rollback_detected', message: `the log was rewritten below the previously verified size ${input.previous.size}` });
    }
  }

  // An exact pin wins; otherwise the start of the earliest range a bad entry must lie in.
  const exact = problems.filter((p) => p.index !== undefined).map((p) => p.index!);
  const pinned = exact.length ? exact : problems.filter((p) => p.range).map((p) => p.range![0]);
  const latest = checkpoints.at(-1);
  return {
    ok: problems.length === 0,
    verifiedSize,
    ...(latest ? { latest: { size: latest.size, root: latest.root.toString('base64'), time: latest.time.toISOString() } } : {}),
    checkpointsChecked: checkpoints.length,
    entriesChecked,
    ...(pinned.length ? { firstBadIndex: Math.min(...pinned) } : {}),
    problems,
  };
}

/** Checks a server-provided inclusion proof against a signed root (used for spot checks and single entries). */
export function checkInclusion(index: number, size: number, leaf: string, proof: readonly string[], root: string): Problem | undefined {
  try {
    verifyInclusion(index, size, Buffer.from(leaf, 'base64'), proof.map((p) => Buffer.from(p, 'base64')), Buffer.from(root, 'base64'));
    return undefined;
  } catch (e) {
    return { code: 'proof_invalid', index, message: `inclusion proof for entry ${index}: ${(e as ProofError).message}` };
  }
}

export function checkConsistency(from: { size: number; root: string }, to: { size: number; root: string }, proof: readonly string[]): Problem | undefined {
  try {
    verifyConsistency(from.size, to.size, Buffer.from(from.root, 'base64'), Buffer.from(to.root, 'base64'), proof.map((p) => Buffer.from(p, 'base64')));
    return undefined;
  } catch (e) {
    return { code: 'proof_invalid', message: `consistency ${from.size} -> ${to.size}: ${(e as ProofError).message}` };
  }
}
