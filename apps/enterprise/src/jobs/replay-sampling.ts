import { createHash, createHmac } from 'node:crypto';

/**
 * Sampled replay for non-TEE work (DESIGN §5.4): whether a job is replayed on a second node is decided by a hash of
 * its id against the sample rate — deterministic, so every replica and the auditor agree, and not choosable by the
 * node. The replay runs the same trainer with the same seed on the same data; deterministic trainers must then
 * return the bit-identical model, so the comparison is of digests.
 */
export function replaySelected(jobId: string, sampleRate: number): boolean {
  if (!(sampleRate > 0)) return false;
  if (sampleRate >= 1) return true;
  const h = createHash('sha256').update(`confide-replay.v1:${jobId}`, 'utf8').digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < sampleRate;
}

/** The seed both runs use when the job named none: derived from the job id, so the replay is reproducible. */
export function replaySeed(jobId: string, seed: number | null): number {
  if (seed !== null) return seed;
  return createHash('sha256').update(`confide-seed.v1:${jobId}`, 'utf8').digest().readUInt32BE(0) & 0x7fffffff;
}

export type ReplayVerdict = { readonly verdict: 'match' } | { readonly verdict: 'mismatch'; readonly original: string; readonly replay: string };

/** Compares the model digests of the original attempt and its replay. */
export function compareReplay(originalSha256: string, replaySha256: string): ReplayVerdict {
  return originalSha256 === replaySha256 ? { verdict: 'match' } : { verdict: 'mismatch', original: originalSha256, replay: replaySha256 };
}

/**
 * Whether iteration `iteration` of an `fhe-logreg` run is replayed: HMAC-SHA-256 keyed by the run's sampling key
 * (random, stored with the run, never sent to a node) against the job's sample rate. Deterministic given the
 * stored key, so the auditor can recompute it; unpredictable to the node, so it cannot cheat only on the steps
 * nobody will check.
 */
export function replayStepSelected(salt: Uint8Array | null, jobId: string, iteration: number, sampleRate: number): boolean {
  if (!salt || !(sampleRate > 0)) return false;
  if (sampleRate >= 1) return true;
  const h = createHmac('sha256', salt).update(`confide-fhe-replay.v1:${jobId}:${iteration}`, 'utf8').digest();
  return h.readUInt32BE(0) / 0x1_0000_0000 < sampleRate;
}
