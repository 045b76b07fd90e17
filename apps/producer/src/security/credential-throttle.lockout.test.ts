import { describe, expect, it } from 'vitest';
import { addressKey, CredentialThrottle, userKey } from './credential-throttle.js';

const pair = (ip: string, user: string) => [addressKey(ip), userKey(user)];

describe('CredentialThrottle', () => {
  it('allows the free attempts, then locks out with a doubling window, and a success clears it', () => {
    let now = 0;
    const t = new CredentialThrottle({ freeAttempts: 3, baseLockMs: 1000, maxLockMs: 4000, maxEntries: 100 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfterMs(pair('ip', 'admin'))).toBe(0);
      t.recordFailure(pair('ip', 'admin'));
    }
    expect(t.retryAfterMs(pair('ip', 'admin'))).toBe(0);
    expect(t.recordFailure(pair('ip', 'admin'))).toEqual(pair('ip', 'admin')); // this failure locked both keys
    expect(t.retryAfterMs(pair('ip', 'admin'))).toBe(1000);
    now = 1000;
    expect(t.recordFailure(pair('ip', 'admin'))).toEqual(pair('ip', 'admin')); // the lock had ended: locked again
    expect(t.retryAfterMs(pair('ip', 'admin'))).toBe(2000);
    t.recordFailure(pair('ip', 'admin'));
    expect(t.recordFailure(pair('ip', 'admin'))).toEqual([]); // still locked: not a new lockout
    expect(t.retryAfterMs(pair('ip', 'admin'))).toBe(4000); // capped
    t.recordSuccess(pair('ip', 'admin'));
    expect(t.retryAfterMs(pair('ip', 'admin'))).toBe(0);
  });

  it('either key locked refuses: another address for a locked user, another user from a locked address', () => {
    const t = new CredentialThrottle({ freeAttempts: 2, baseLockMs: 1000, maxLockMs: 4000, maxEntries: 100 }, () => 0);
    for (let i = 0; i < 3; i++) t.recordFailure(pair('10.0.0.1', `name-${i}`)); // the address collects the failures
    expect(t.retryAfterMs(pair('10.0.0.1', 'admin'))).toBe(1000);
    for (let i = 0; i < 3; i++) t.recordFailure(pair(`10.0.1.${i}`, 'admin')); // the user name collects them
    expect(t.retryAfterMs(pair('10.0.9.9', 'admin'))).toBe(1000);
    expect(t.retryAfterMs(pair('10.0.9.9', 'someone-else'))).toBe(0);
  });

  it('a flood of new keys cannot evict a lock: unlocked keys go first, then new keys are refused (fail closed)', () => {
    let now = 0;
    const t = new CredentialThrottle({ freeAttempts: 1, baseLockMs: 1000, maxLockMs: 1000, maxEntries: 10 }, () => now);
    t.recordFailure(pair('attacker', 'admin'));
    t.recordFailure(pair('attacker', 'admin'));
    expect(t.retryAfterMs([userKey('admin')])).toBe(1000);
    // 10,000 guesses with random names from random addresses: each a single failure (unlocked).
    for (let i = 0; i < 10_000; i++) t.recordFailure(pair(`ip-${i}`, `random-${i}`));
    expect(t.size).toBeLessThanOrEqual(10);
    expect(t.retryAfterMs([userKey('admin')])).toBe(1000); // the lock survived
    // Fill the table with locks: a new key now waits rather than evicting one.
    for (let i = 0; i < 10; i++) {
      t.recordFailure([addressKey(`locker-${i}`)]);
      t.recordFailure([addressKey(`locker-${i}`)]);
    }
    expect(t.size).toBe(10);
    expect(t.retryAfterMs([addressKey('newcomer')])).toBe(1000);
    expect(t.retryAfterMs([userKey('admin')])).toBe(1000);
    // Locks end; their keys are then the first to go and new keys fit again.
    now = 1000;
    expect(t.retryAfterMs([addressKey('newcomer')])).toBe(0);
    t.recordFailure([addressKey('newcomer')]);
    expect(t.size).toBeLessThanOrEqual(10);
  });
});
