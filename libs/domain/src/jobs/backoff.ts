/**
 * Capped exponential backoff with "equal jitter": half the delay is fixed (so retries never bunch at zero), half is
 * spread by `jitter` ∈ [0, 1), which the caller draws (the domain takes no randomness).
 */
export function backoffDelayMs(retry: number, baseMs: number, capMs: number, jitter: number): number {
  if (!(jitter >= 0 && jitter < 1)) throw new RangeError('jitter must be in [0, 1)');
  const n = Math.max(1, Math.floor(retry));
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(n - 1, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * jitter);
}
