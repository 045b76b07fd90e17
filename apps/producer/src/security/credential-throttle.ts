/**
 * One limiter for every operator credential (the login form, HTTP basic auth, the metrics bearer
 * token). Each attempt is judged by two keys, the user name and the client address (only the address
 * for a bearer token): after `freeAttempts` failures a key is locked for a window that doubles with
 * each further failure (30 s up to 15 min), and either key locked refuses the attempt before its
 * password is compared. A success clears both keys.
 *
 * In memory, per producer replica (documented in docs/security.md): each replica bounds guessing on
 * its own, so N replicas allow at most N times the guesses of one.
 *
 * Memory is bounded (`maxEntries`) without ever forgetting a lock first: when full, keys that are not
 * locked go first (least recently failed first); if every entry is a live lock, a NEW key is refused
 * (fail closed) rather than a lock evicted, which is what let 10,000 random user names reset the
 * admin's lockout. That cannot lock the real admin out for good: every lock ends at most `maxLockMs`
 * after its last failure and is then the first to go, and filling the table with locks needs
 * `freeAttempts + 1` failures per key from addresses that are themselves locked after as many, so an
 * attacker has to keep thousands of addresses failing to keep the table full.
 */
import { createHash } from 'node:crypto';
import { throttleNetwork } from './client-address.js';

export interface CredentialThrottleOptions {
  freeAttempts: number;
  baseLockMs: number;
  maxLockMs: number;
  maxEntries: number;
}

export const DEFAULT_THROTTLE: CredentialThrottleOptions = { freeAttempts: 5, baseLockMs: 30_000, maxLockMs: 15 * 60_000, maxEntries: 10_000 };

interface Entry {
  failures: number;
  lockedUntil: number;
}

/** A short, stable hash of a user name: what keys and logs carry (a mistyped name may be a password). */
export function userNameHash(user: string): string {
  return createHash('sha256').update(user, 'utf8').digest('hex').slice(0, 12);
}

export const userKey = (user: string) => `user:${userNameHash(user)}`;
/** An IPv6 client is counted by its /64 (see throttleNetwork). */
export const addressKey = (address: string) => `addr:${throttleNetwork(address)}`;

export class CredentialThrottle {
  // Map order is recency: an entry is re-inserted on each failure, so the first unlocked one is the stalest.
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly options: CredentialThrottleOptions = DEFAULT_THROTTLE,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Milliseconds the attempt must still wait (the longest lock among its keys), or 0 when it may
   * try. A key not yet known while the table is full of live locks waits `baseLockMs` (fail closed).
   */
  retryAfterMs(keys: readonly string[]): number {
    const now = this.now();
    let wait = 0;
    let unknown = false;
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry) wait = Math.max(wait, entry.lockedUntil - now);
      else unknown = true;
    }
    if (wait <= 0 && unknown && !this.makeRoom(now)) return this.options.baseLockMs;
    return Math.max(0, wait);
  }

  /** Counts a failure against every key; returns the keys this failure locked (for the lockout metric and log). */
  recordFailure(keys: readonly string[]): string[] {
    const now = this.now();
    const locked: string[] = [];
    for (const key of keys) {
      const entry = this.entries.get(key) ?? { failures: 0, lockedUntil: 0 };
      if (!this.entries.has(key) && !this.makeRoom(now)) continue; // fail closed: the next attempt waits
      entry.failures += 1;
      const over = entry.failures - this.options.freeAttempts;
      if (over > 0) {
        if (entry.lockedUntil <= now) locked.push(key);
        entry.lockedUntil = now + Math.min(this.options.maxLockMs, this.options.baseLockMs * 2 ** Math.min(over - 1, 30));
      }
      this.entries.delete(key);
      this.entries.set(key, entry);
    }
    return locked;
  }

  recordSuccess(keys: readonly string[]): void {
    for (const key of keys) this.entries.delete(key);
  }

  /** Keys tracked now (tests and the bound). */
  get size(): number {
    return this.entries.size;
  }

  /** True when a new key fits: drops keys that are not locked now, stalest first, until one does. */
  private makeRoom(now: number): boolean {
    if (this.entries.size < this.options.maxEntries) return true;
    for (const [key, entry] of this.entries) {
      if (entry.lockedUntil > now) continue;
      this.entries.delete(key);
      if (this.entries.size < this.options.maxEntries) return true;
    }
    return false;
  }
}
