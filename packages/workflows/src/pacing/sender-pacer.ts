/**
 * Pacing per sending number: texts are handed to the vendor no faster than the sender's rate, across
 * every worker replica, by a fixed-window counter in Redis (one Lua call per text: is the sender slowed,
 * take a slot in its current window, and how long that window has left). A text over the rate is not
 * slept on in a worker: the caller defers its run to the time this answers, so the excess waits in our
 * queue.
 *
 * Windows are whole seconds: a sender of rate r gets at most r texts in each window (at least one
 * second apart for r ≤ 1). A vendor pushing back (`slowDown`) divides the sender's rate by SLOW_FACTOR
 * for a while. Deferred texts are spread over the windows after the current one by their place in the
 * queue (how far over the rate they were), so a blast of 1,000 from one number does not come back all
 * at once and collide again.
 *
 * One round trip, not two: the slowed flag used to be read with its own EXISTS before the limiter's
 * call (rate-limiter-flexible), and each was one more write on the worker's shared Redis connection.
 */

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

/** The Redis client the pacer needs (an ioredis client: the slot is taken by a script it caches by SHA). */
export interface PacerRedis {
  set(key: string, value: string, px: 'PX', ms: number): Promise<unknown>;
  defineCommand(name: string, definition: { numberOfKeys: number; lua: string }): void;
}

/**
 * KEYS: the sender's counter at its own rate, its counter at the slowed rate, its slowed flag.
 * ARGV: slots and window (ms) at its own rate, then at the slowed rate.
 * Returns [slowed 0/1, texts counted in the window so far (this one included), ms left in the window,
 * slots in the window]. The window starts with its first text; it expires whole.
 */
const ACQUIRE_LUA = `
local slowed = redis.call('exists', KEYS[3]) == 1
local key, points, ms = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
if slowed then key, points, ms = KEYS[2], tonumber(ARGV[3]), tonumber(ARGV[4]) end
local count = redis.call('incr', key)
local left = redis.call('pttl', key)
if left < 0 then
  redis.call('pexpire', key, ms)
  left = ms
end
return { slowed and 1 or 0, count, left, points }
`;
const ACQUIRE_COMMAND = 'revosPaceAcquire';

type AcquireReply = [slowed: number, count: number, leftMs: number, points: number];
type WithAcquire = PacerRedis & { [ACQUIRE_COMMAND]?: (k1: string, k2: string, k3: string, ...argv: number[]) => Promise<AcquireReply> };

export function createSenderPacer(redis: PacerRedis, options: SenderPacerOptions): SenderPacer {
  const client = redis as WithAcquire;
  // Defined once per client: ioredis sends EVALSHA and loads the script on a NOSCRIPT answer.
  if (typeof client[ACQUIRE_COMMAND] !== 'function') client.defineCommand(ACQUIRE_COMMAND, { numberOfKeys: 3, lua: ACQUIRE_LUA });
  const acquireScript = client[ACQUIRE_COMMAND]!.bind(client);
  const slowKey = (sender: string) => `${options.prefix}:pace:slow:${sender}`;
  // The window's shape is in the key: replicas with the same rate share one counter per sender.
  const counterKey = (w: { points: number; durationS: number }, sender: string) => `${options.prefix}:pace:${w.points}/${w.durationS}:${sender}`;

  return {
    async acquire(sender, mps) {
      if (!Number.isFinite(mps) || mps <= 0) throw new RangeError(`sender pacing: the rate (sms_mps) must be a positive number of texts a second, got ${mps}`);
      const own = windowFor(mps);
      const slow = windowFor(mps / SLOW_FACTOR);
      const [slowed, count, leftMs, points] = await acquireScript(
        counterKey(own, sender),
        counterKey(slow, sender),
        slowKey(sender),
        own.points,
        own.durationS * 1000,
        slow.points,
        slow.durationS * 1000,
      );
      if (count <= points) return { ok: true };
      const durationS = slowed === 1 ? slow.durationS : own.durationS;
      // The k-th text over the rate in this window comes back k/points windows later (0-based).
      const over = Math.max(0, count - points - 1);
      const spreadMs = Math.floor(over / points) * durationS * 1000;
      return { ok: false, retryAtMs: Date.now() + leftMs + spreadMs + Math.floor(Math.random() * 50), slowed: slowed === 1 };
    },
    async slowDown(sender, forMs = DEFAULT_SLOW_FOR_MS) {
      await redis.set(slowKey(sender), '1', 'PX', forMs);
    },
  };
}
