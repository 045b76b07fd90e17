/**
 * Slows password guessing at /admin: after `freeAttempts` consecutive failures
 * from one client for one user name, that pair is locked out for a window that
 * doubles with each further failure (30 s up to 15 min). A success clears it.
 * In memory, per producer replica: each replica throttles on its own, which
 * still bounds guessing to a handful of tries per window per replica.
 */
export class LoginThrottle {
  private readonly failures = new Map<string, { count: number; lockedUntil: number }>();

  constructor(
    private readonly options: { freeAttempts: number; baseLockMs: number; maxLockMs: number; maxEntries: number } = {
      freeAttempts: 5,
      baseLockMs: 30_000,
      maxLockMs: 15 * 60_000,
      maxEntries: 10_000,
    },
    private readonly now: () => number = Date.now,
  ) {}

  /** Milliseconds the pair must still wait, or 0 when it may try. */
  retryAfterMs(client: string, user: string): number {
    const entry = this.failures.get(`${client}|${user}`);
    return entry ? Math.max(0, entry.lockedUntil - this.now()) : 0;
  }

  recordFailure(client: string, user: string): void {
    const key = `${client}|${user}`;
    const entry = this.failures.get(key) ?? { count: 0, lockedUntil: 0 };
    entry.count += 1;
    const over = entry.count - this.options.freeAttempts;
    if (over > 0) entry.lockedUntil = this.now() + Math.min(this.options.maxLockMs, this.options.baseLockMs * 2 ** (over - 1));
    // Bound memory against a flood of distinct names: forget the oldest entry.
    if (!this.failures.has(key) && this.failures.size >= this.options.maxEntries) {
      const oldest = this.failures.keys().next().value;
      if (oldest !== undefined) this.failures.delete(oldest);
    }
    this.failures.set(key, entry);
  }

  recordSuccess(client: string, user: string): void {
    this.failures.delete(`${client}|${user}`);
  }
}
