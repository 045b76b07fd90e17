import { describe, expect, it } from 'vitest';
import { computeBackoffMs } from './backoff.js';

describe('computeBackoffMs', () => {
  it('doubles the ceiling with each failure and stays within [cap/2, cap]', () => {
    const low = (failures: number) => computeBackoffMs({ failures, baseMs: 1000, maxMs: 60_000, random: () => 0 });
    const high = (failures: number) => computeBackoffMs({ failures, baseMs: 1000, maxMs: 60_000, random: () => 1 });
    expect([high(1), high(2), high(3), high(4)]).toEqual([1000, 2000, 4000, 8000]);
    expect([low(1), low(2), low(3)]).toEqual([500, 1000, 2000]);
  });

  it('never exceeds maxMs', () => {
    expect(computeBackoffMs({ failures: 30, baseMs: 1000, maxMs: 60_000, random: () => 1 })).toBe(60_000);
  });

  it('honours a Retry-After longer than the backoff', () => {
    expect(computeBackoffMs({ failures: 1, baseMs: 100, maxMs: 1000, retryAfterMs: 7000, random: () => 1 })).toBe(7000);
  });
});
