import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

describe('LoginThrottle', () => {
  it('allows the free attempts, then locks out with a doubling window, and a success clears it', () => {
    let now = 0;
    const t = new LoginThrottle({ freeAttempts: 3, baseLockMs: 1000, maxLockMs: 4000, maxEntries: 100 }, () => now);
    for (let i = 0; i < 3; i++) {
      expect(t.retryAfterMs('ip', 'admin')).toBe(0);
      t.recordFailure('ip', 'admin');
    }
    expect(t.retryAfterMs('ip', 'admin')).toBe(0);
    t.recordFailure('ip', 'admin');
    expect(t.retryAfterMs('ip', 'admin')).toBe(1000);
    now = 1000;
    t.recordFailure('ip', 'admin');
    expect(t.retryAfterMs('ip', 'admin')).toBe(2000);
    t.recordFailure('ip', 'admin');
    t.recordFailure('ip', 'admin');
    expect(t.retryAfterMs('ip', 'admin')).toBe(4000); // capped
    expect(t.retryAfterMs('other-ip', 'admin')).toBe(0);
    t.recordSuccess('ip', 'admin');
    expect(t.retryAfterMs('ip', 'admin')).toBe(0);
  });
});
