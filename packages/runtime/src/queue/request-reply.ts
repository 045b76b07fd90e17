/**
 * Request–reply over the queue: a caller that must answer someone live (a voice webhook) submits a
 * run and waits for its output until a deadline, without polling.
 *
 * When a worker has recorded a run's final outcome (ok, noop, failed, blocked: never a retry, which
 * is not an answer yet) it stores the output under `{prefix}:reply:{run id}` for a short while and
 * publishes it on the channel of the same name. A waiter subscribes first and then reads the key,
 * so an output published before the subscription is still seen; one that comes later arrives as a
 * message. At the deadline the waiter stops waiting and gets `null`; the run goes on and records
 * its own outcome (and its breach) as any run does.
 *
 * The stored copy is the live output (a voice reply needs its words), kept `REPLY_TTL_MS` only:
 * PostgreSQL stays the durable record, redacted for phi_minimized runs.
 */
import { OutputContract } from '@revos/envelope';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';

/** How long a published output stays readable for a waiter that subscribes late (a redelivered webhook). */
export const REPLY_TTL_MS = 120_000;

/** The Redis key and pub/sub channel of one run's reply. Under the queue prefix, so a `{hash tag}` prefix keeps it on one Cluster slot. */
export function replyChannel(prefix: string, runId: string): string {
  return `${prefix}:reply:${runId}`;
}

/** The worker's side: store and announce a recorded output. Best effort: a caller that misses it falls back at its deadline. */
export async function publishRunOutput(redis: Redis | Cluster, prefix: string, output: OutputContract): Promise<void> {
  const channel = replyChannel(prefix, output.meta_out.workflow_run_id);
  const message = JSON.stringify(output);
  await redis.multi().set(channel, message, 'PX', REPLY_TTL_MS).publish(channel, message).exec();
}

export interface AwaitRunOutputOptions {
  /** Stop waiting at this moment (a Date or ms since the epoch). */
  deadline: Date | number;
  /** Stop waiting early (the caller hung up, the server is closing). */
  signal?: AbortSignal;
}

export interface RunReplies {
  /** The run's output once a worker records it, or `null` when the deadline (or the signal) comes first. */
  awaitRunOutput(runId: string, options: AwaitRunOutputOptions): Promise<OutputContract | null>;
  /** Ends every wait (with `null`) and closes the subscriber connection. */
  close(): Promise<void>;
}

type Settle = (output: OutputContract | null) => void;

/**
 * One subscriber connection (a duplicate of `redis`, which is used for reads) shared by every wait
 * of the process; each run id is subscribed while someone waits for it.
 */
export function createRunReplies(redis: Redis | Cluster, prefix: string, log?: Logger): RunReplies {
  const subscriber = redis.duplicate();
  const waiting = new Map<string, Set<Settle>>();
  let closed = false;

  const parse = (channel: string, message: string): OutputContract | null => {
    let json: unknown;
    try {
      json = JSON.parse(message);
    } catch {
      json = undefined;
    }
    const parsed = OutputContract.safeParse(json);
    if (!parsed.success) {
      log?.warn({ channel }, 'reply is not an output contract; ignored');
      return null;
    }
    return parsed.data;
  };

  const deliver = (channel: string, output: OutputContract) => {
    for (const settle of [...(waiting.get(channel) ?? [])]) settle(output);
  };

  subscriber.on('message', (channel: string, message: string) => {
    const output = parse(channel, message);
    if (output) deliver(channel, output);
  });
  subscriber.on('error', (error: Error) => log?.warn({ err: error.message }, 'reply subscriber error'));

  const release = async (channel: string, settle: Settle) => {
    const set = waiting.get(channel);
    if (!set) return;
    set.delete(settle);
    if (set.size > 0) return;
    waiting.delete(channel);
    if (!closed) await subscriber.unsubscribe(channel).catch(() => {});
  };

  return {
    async awaitRunOutput(runId, options) {
      const deadlineMs = typeof options.deadline === 'number' ? options.deadline : options.deadline.getTime();
      if (closed || options.signal?.aborted || deadlineMs <= Date.now()) return null;
      const channel = replyChannel(prefix, runId);
      return new Promise<OutputContract | null>((resolve) => {
        let done = false;
        const settle: Settle = (output) => {
          if (done) return;
          done = true;
          clearTimeout(timer);
          options.signal?.removeEventListener('abort', onAbort);
          void release(channel, settle);
          resolve(output);
        };
        const onAbort = () => settle(null);
        const timer = setTimeout(() => settle(null), deadlineMs - Date.now());
        options.signal?.addEventListener('abort', onAbort, { once: true });
        const set = waiting.get(channel) ?? new Set<Settle>();
        const first = set.size === 0;
        set.add(settle);
        waiting.set(channel, set);
        // Subscribe, then read: an output stored before the subscription took effect is found by the read.
        void (async () => {
          try {
            if (first) await subscriber.subscribe(channel);
            const stored = await redis.get(channel);
            const output = stored === null ? null : parse(channel, stored);
            if (output) settle(output);
          } catch (error) {
            // Redis is unreachable: nothing will arrive, so the caller's deadline answers for us.
            log?.warn({ err: (error as Error).message, workflow_run_id: runId }, 'could not wait for a reply');
          }
        })();
      });
    },

    async close() {
      closed = true;
      for (const channel of [...waiting.keys()]) for (const settle of [...(waiting.get(channel) ?? [])]) settle(null);
      await subscriber.quit().catch(() => subscriber.disconnect());
    },
  };
}
