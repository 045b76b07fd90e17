/**
 * Exponential backoff with full jitter (a random delay in [0, cap]), so that many
 * runs failing together against one vendor do not retry in lockstep. A vendor's
 * Retry-After is a floor: we never come back sooner than it asked.
 */
export function computeBackoffMs(input: {
  /** Failed attempts so far, this one included (1 after the first failure). */
  failures: number;
  baseMs: number;
  maxMs: number;
  retryAfterMs?: number | undefined;
  random?: () => number;
}): number {
  const random = input.random ?? Math.random;
  const cap = Math.min(input.maxMs, input.baseMs * 2 ** Math.max(0, input.failures - 1));
  // Half fixed, half jitter: keeps the growth visible while spreading the herd.
  const jittered = Math.round(cap / 2 + random() * (cap / 2));
  return Math.max(jittered, input.retryAfterMs ?? 0);
}
