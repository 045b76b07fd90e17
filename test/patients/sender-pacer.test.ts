/**
 * The sender pacer's one Redis call (issue 27, item 6: it was an EXISTS and a limiter call) against the
 * real Redis: a sender's slots per window, when an over-rate text is told to come back, the slowed window
 * after a vendor's refusal, and the counter keys replicas of the release before share with this one.
 */
import { createSenderPacer, SLOW_FACTOR } from '@revos/workflows';
import { Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteKeys, REDIS_URL } from '../support/harness.js';

const prefix = `t-pacer-${ulid().toLowerCase()}`;
let redis: Redis;

beforeAll(() => {
  redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
});
afterAll(async () => {
  await deleteKeys(redis, prefix);
  await redis.quit();
});

describe('createSenderPacer', () => {
  it('gives a sender sms_mps slots a window and tells the rest when its next windows open, spread by their place', async () => {
    const pacer = createSenderPacer(redis, { prefix });
    const before = Date.now();
    const answers = [];
    for (let i = 0; i < 7; i++) answers.push(await pacer.acquire('+15550000101', 2));
    expect(answers.slice(0, 2)).toEqual([{ ok: true }, { ok: true }]);
    const held = answers.slice(2).map((a) => (a.ok ? null : a.retryAtMs - before));
    // Texts 3 and 4 come back when this one-second window ends, 5 and 6 a window later, 7 two later (+ up to 50 ms jitter).
    for (const [i, windowsLater] of [[0, 0], [1, 0], [2, 1], [3, 1], [4, 2]] as const) {
      expect(held[i]).toBeGreaterThanOrEqual(windowsLater * 1000);
      expect(held[i]).toBeLessThanOrEqual(windowsLater * 1000 + 1000 + 50 + 50);
    }
    expect(answers.slice(2).every((a) => !a.ok && a.slowed === false)).toBe(true);
    // The counter is the one an older replica used (rate-limiter-flexible's key for `2/1`), and it expires with the window.
    const key = `${prefix}:pace:2/1:+15550000101`;
    expect(await redis.get(key)).toBe('7');
    expect(await redis.pttl(key)).toBeGreaterThan(0);
    expect(await redis.pttl(key)).toBeLessThanOrEqual(1000);
  });

  it('a slowed sender gets sms_mps / SLOW_FACTOR slots, on a counter of its own, until the slow-down expires', async () => {
    const pacer = createSenderPacer(redis, { prefix });
    const sender = '+15550000102';
    await pacer.slowDown(sender, 400);
    const slowed = [];
    for (let i = 0; i < 3; i++) slowed.push(await pacer.acquire(sender, 2 * SLOW_FACTOR));
    expect(slowed.slice(0, 2)).toEqual([{ ok: true }, { ok: true }]);
    expect(slowed[2]).toMatchObject({ ok: false, slowed: true });
    expect(await redis.get(`${prefix}:pace:2/1:${sender}`)).toBe('3');
    // The flag expired: the sender's own rate (8 a second) is counted apart, from zero.
    await new Promise((r) => setTimeout(r, 450));
    expect(await pacer.acquire(sender, 2 * SLOW_FACTOR)).toEqual({ ok: true });
    expect(await redis.get(`${prefix}:pace:8/1:${sender}`)).toBe('1');
  });

  it('a rate below one a second: one text per ⌈1/rate⌉ s window', async () => {
    const pacer = createSenderPacer(redis, { prefix });
    const before = Date.now();
    expect(await pacer.acquire('+15550000103', 0.25)).toEqual({ ok: true });
    const next = await pacer.acquire('+15550000103', 0.25);
    expect(next.ok).toBe(false);
    if (!next.ok) expect(next.retryAtMs - before).toBeGreaterThan(3_000);
    expect(await redis.pttl(`${prefix}:pace:1/4:+15550000103`)).toBeGreaterThan(3_000);
  });

  it('refuses a rate that is not a positive number, naming sms_mps, and touches no counter', async () => {
    const pacer = createSenderPacer(redis, { prefix });
    for (const bad of [0, -1, Number.NaN, Number.POSITIVE_INFINITY]) {
      await expect(pacer.acquire('+15550000105', bad)).rejects.toThrow(/sms_mps.*positive/);
    }
    expect(await redis.keys(`${prefix}:pace:*:+15550000105`)).toEqual([]);
  });

  it('two pacers on two connections share one sender\'s window (replicas)', async () => {
    const other = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
    try {
      const a = createSenderPacer(redis, { prefix });
      const b = createSenderPacer(other, { prefix });
      const answers = await Promise.all([a, b, a, b, a, b].map((p) => p.acquire('+15550000104', 3)));
      expect(answers.filter((x) => x.ok)).toHaveLength(3);
    } finally {
      await other.quit();
    }
  });
});
