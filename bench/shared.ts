/**
 * What the bench parent (run.ts) and its worker child (worker-child.ts) share:
 * the bench workflow, the job options, the IPC messages and small statistics.
 */
import type { Envelope } from '@revos/envelope';
import { defineWorkflow, LANE_SETTINGS, queueName, type WorkflowDefinition } from '@revos/runtime';
import type { SenderPacer, SmsProvider, SmsSendOptions } from '@revos/workflows';
import type { JobsOptions } from 'bullmq';
import { z } from 'zod';

export const BENCH_TENANT = 't_bench_practice';
export const BENCH_WORKFLOW = 'WF98_Bench_Effect';
export const BENCH_EVENT_TYPE = 'bench.ping';
export const BENCH_LANE = 'interactive' as const;
/** Every variant uses the interactive lane's queue name and lock settings, so BullMQ does the same work. */
export const BENCH_QUEUE = queueName(BENCH_LANE);
export const BENCH_LANE_SETTINGS = LANE_SETTINGS[BENCH_LANE];
export const BENCH_SMS_FROM = '+15550000001';
export const BENCH_SMS_TO = '+15550009999';

/**
 * The one vendor call every effect variant makes (fleet, raw-effect, graphile-worker-effect):
 * a Twilio-shaped POST through the real SMS adapter to the local stand-in.
 */
export function sendBenchPing(sms: SmsProvider, n: number, options: SmsSendOptions) {
  return sms.sendMessage({ to: BENCH_SMS_TO, from: BENCH_SMS_FROM, body: `bench ${n}` }, options);
}

/**
 * The comparators' event table: what a hand-written worker records after the vendor call
 * (one INSERT). `run_key` is the job's idempotency key, so the exactly-once check can count
 * distinct runs as well as rows.
 */
export const BENCH_EVENTS_DDL =
  'create table bench_events (id bigserial primary key, run_key text not null, event_type text not null, data jsonb not null, created_at timestamptz not null default now())';
export const BENCH_EVENTS_INSERT = 'insert into bench_events (run_key, event_type, data) values ($1, $2, $3::jsonb)';

/** graphile-worker's task name for the bench task. */
export const GRAPHILE_TASK = 'bench_effect';

const BenchPayload = z.object({ n: z.number().int().nonnegative() });

/**
 * The fleet variants' workflow: one journaled effect (a Twilio-shaped POST to the
 * local stand-in through the real SMS adapter), no consent check (not `outbound`).
 * With `vendorDedupes` (the default) a fresh run is claim → vendor call → outcome
 * (the result and event journaled with the outcome); without it, as for SMS,
 * claim → intent → vendor call → result+event → outcome.
 * `npm run bench -- --vendor-dedupes=false` measures the second.
 */
/** `fleet-paced`: the sender's rate, high enough that no bench text is ever held (only the pacing path's cost is measured). */
export const BENCH_SMS_MPS = 100_000;

export function benchWorkflow(sms: SmsProvider, vendorDedupes: boolean, pacer?: SenderPacer): WorkflowDefinition<typeof BenchPayload> {
  return defineWorkflow({
    name: BENCH_WORKFLOW,
    version: '1.0.0',
    lane: BENCH_LANE,
    // Tracked, never breached: the throughput variants pre-fill a backlog on purpose, so a run's
    // time since enqueue is queueing by construction. With the channel's 8 s budget every run past
    // the 8th second of a long run took the breach path (a count query and a warn line each),
    // which the comparators do not have and a healthy fleet does not take.
    latencyBudgetMs: null,
    payload: BenchPayload,
    async run(ctx) {
      // fleet-paced: the slot WF30_Send_SMS takes before each text (packages/workflows/src/pacing).
      if (pacer) {
        const slot = await pacer.acquire(BENCH_SMS_FROM, BENCH_SMS_MPS);
        if (!slot.ok) throw new Error(`the bench sender was paced at ${BENCH_SMS_MPS}/s: the bench outran its own rate`);
      }
      const sent = await ctx.effect(
        'vendor.call',
        { service: 'standin', endpoint: 'ping', eventType: BENCH_EVENT_TYPE, vendorDedupes },
        ({ signal, idempotencyToken }) => sendBenchPing(sms, ctx.payload.n, { signal, idempotencyToken }),
      );
      return { summary: 'pinged', primary_outputs: { sid: sent.sid }, next_actions: [] };
    },
  });
}

/**
 * The options `enqueueRun` (packages/runtime/src/queue/enqueue.ts) gives a job, copied
 * because its retention constants are private. The bench adds jobs with
 * `queue.addBulk` instead of `enqueueRun` (one round trip per chunk, not per job)
 * so filling the queue stays out of the way; the job a worker sees is the same.
 */
export function runJobOptions(jobId: string, attempts: number): JobsOptions {
  return {
    jobId,
    attempts,
    backoff: { type: 'revos' },
    removeOnComplete: { age: 24 * 3600, count: 10_000 },
    removeOnFail: { age: 7 * 24 * 3600, count: 50_000 },
  };
}

/** When the producer stamped the envelope (makeEnvelope sets it to "now"); the idle phases set it at enqueue. */
export function enqueuedAtOf(data: unknown): number {
  return Date.parse((data as Envelope).meta.timestamp_utc);
}

export type WorkerKind = 'raw-noop' | 'raw-insert' | 'raw-effect' | 'graphile-effect' | 'fleet';

export interface Phase {
  name: string;
  /** BullMQ prefix whose queue the phase drains (unused by graphile-worker: its queue is the database). */
  prefix: string;
  /** Jobs that finish the phase, warm-up included. */
  target: number;
  /** The first `warmup` completions are not timed: the clock starts at the next one (steady state, no start-up). */
  warmup: number;
  /** Record the peak RSS so far every this many timed completions (0: never). */
  rssEvery: number;
}

/** Handed to the child as its one argument (JSON). */
export interface ChildConfig {
  variant: string;
  kind: WorkerKind;
  mode: 'throughput' | 'idle';
  redisUrl: string;
  dbUrl: string;
  /** DATABASE_POOLER of the worker child: `transaction` when dbUrl goes through PgBouncer in transaction mode. */
  pooler?: 'none' | 'transaction';
  vendorUrl: string;
  concurrency: number;
  poolMax: number;
  /** The bench workflow's effect: vendorDedupes (one statement fewer per run) or not, as for SMS. */
  vendorDedupes: boolean;
  /** Fleet kinds: take a pacing slot per text on Redis before the vendor call, as WF30 does (`fleet-paced`). */
  paced?: boolean;
  /** Throughput: drained one after another, a new worker each. Idle: exactly one, target unused. */
  phases: Phase[];
  phaseTimeoutMs: number;
}

export interface LatencySummary {
  count: number;
  p50_ms: number;
  p99_ms: number;
  mean_ms: number;
  max_ms: number;
}

export interface PhaseResult {
  name: string;
  target: number;
  warmup: number;
  /** Timed completions (after the warm-up). */
  completed: number;
  /** `failed` events (a retried attempt counts too). */
  failed: number;
  elapsed_ms: number;
  /** Worker `active` → `completed`, per job, under a full backlog. */
  processing: LatencySummary;
  timed_out: boolean;
  /** The worker process's CPU time (user + system) per timed run, in ms. */
  cpu_ms_per_run: number | null;
  /** [timed completions, peak RSS so far (MB), live heap after a full GC (MB) or null, ms since the clock started] every `rssEvery` completions. */
  rss_checkpoints: [number, number, number | null, number][];
}

export type ChildMessage =
  | { type: 'ready'; baseline_rss_mb: number }
  | { type: 'phase'; result: PhaseResult }
  | { type: 'running' }
  /** Idle mode: [enqueued at (epoch ms), enqueue → completed (ms)] per finished job. */
  | { type: 'samples'; samples: [number, number][]; failed: number }
  | { type: 'stopped'; peak_rss_mb: number }
  | { type: 'fatal'; message: string };

export type ParentMessage = { type: 'start' } | { type: 'collect'; expected: number; timeoutMs: number } | { type: 'stop' };

/** Nearest-rank percentile of an ascending-sorted array. */
export function percentile(sorted: ArrayLike<number>, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function summarise(values: ArrayLike<number>): LatencySummary {
  const sorted = Float64Array.from(values).sort();
  let sum = 0;
  for (const v of sorted) sum += v;
  return {
    count: sorted.length,
    p50_ms: round(percentile(sorted, 50)),
    p99_ms: round(percentile(sorted, 99)),
    mean_ms: round(sorted.length ? sum / sorted.length : Number.NaN),
    max_ms: round(sorted.length ? sorted[sorted.length - 1]! : Number.NaN),
  };
}

export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export const mb = (bytes: number): number => round(bytes / (1024 * 1024), 1);
