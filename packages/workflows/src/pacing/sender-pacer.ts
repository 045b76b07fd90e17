/**
 * Pacing per sending number: texts are handed to the vendor no faster than the sender's rate, across
 * every worker replica, by a Redis-backed limiter (rate-limiter-flexible's RateLimiterRedis: an
 * atomic INCR with expiry per sender and window). A text over the rate is not slept on in a worker:
 * the caller defers its run to the time this answers, so the excess waits in our queue.
 *
 * Windows are whole seconds (the library's unit): a sender of rate r gets at most r texts in each
 * window (at least one second apart for r ≤ 1). A vendor pushing back (`slowDown`) divides the
 * sender's rate by SLOW_FACTOR for a while. Deferred texts are spread over the windows after the
 * current one by their place in the queue (how far over the rate they were), so a blast of 1,000
 * from one number does not come back all at once and collide again.
 */
import rateLimiterFlexible from 'rate-limiter-flexible';

const { RateLimiterRedis, RateLimiterRes } = rateLimiterFlexible;

/** How much slower a sender the vendor pushed back on is paced, and for how long. */
export const SLOW_FACTOR = 4;
export const DEFAULT_SLOW_FOR_MS = 60_000;

export type PaceAnswer = { ok: true } | { ok: false; retryAtMs: number; slowed: boolean };

export interface SenderPacer {
  /** Takes one of the sender's slots now, or says when to come back. */
  acquire(sender: string, mps: number): Promise<PaceAnswer>;
  /** The vendor said the sender is over its rate: pace it SLOW_FACTOR times slower for `forMs`. */
  slowDown(sender: string, forMs?: number): Promise<void>;
}

export interface SenderPacerOptions {
  /** Redis key prefix (the fleet's QUEUE_PREFIX, so tests and fleets sharing a Redis stay apart). */
  prefix: string;
}

/** Points per window and the window in whole seconds for a rate (below 1 a second: one text per ⌈1/rate⌉ s). */
export function windowFor(mps: number): { points: number; durationS: number } {
  return mps >= 1 ? { points: Math.floor(mps), durationS: 1 } : { points: 1, durationS: Math.ceil(1 / mps) };
}

/** The Redis client the pacer needs (an ioredis Redis or Cluster: the library drives it through its own Lua). */
export interface PacerRedis {
  exists(key: string): Promise<number>;
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
}

export function createSenderPacer(redis: PacerRedis, options: SenderPacerOptions): SenderPacer {
  const limiters = new Map<string, InstanceType<typeof RateLimiterRedis>>();
  const slowKey = (sender: string) => `${options.prefix}:pace:slow:${sender}`;
  const limiterFor = (points: number, durationS: number) => {
    const id = `${points}/${durationS}`;
    let limiter = limiters.get(id);
    if (!limiter) {
      // The window's shape is in the prefix: replicas with the same rate share one counter per sender.
      limiter = new RateLimiterRedis({ storeClient: redis, keyPrefix: `${options.prefix}:pace:${id}`, points, duration: durationS });
      limiters.set(id, limiter);
    }
    return limiter;
  };

  return {
    async acquire(sender, mps) {
      const slowed = (await redis.exists(slowKey(sender))) === 1;
      const { points, durationS } = windowFor(slowed ? mps / SLOW_FACTOR : mps);
      try {
        await limiterFor(points, durationS).consume(sender, 1);
        return { ok: true };
      } catch (rejection) {
        if (!(rejection instanceof RateLimiterRes)) throw rejection;
        // The k-th text over the rate in this window comes back k/points windows later (0-based).
        const over = Math.max(0, rejection.consumedPoints - points - 1);
        const spreadMs = Math.floor(over / points) * durationS * 1000;
        return { ok: false, retryAtMs: Date.now() + rejection.msBeforeNext + spreadMs + Math.floor(Math.random() * 50), slowed };
      }
    },
    async slowDown(sender, forMs = DEFAULT_SLOW_FOR_MS) {
      await redis.set(slowKey(sender), '1', 'PX', forMs);
    },
  };
}
