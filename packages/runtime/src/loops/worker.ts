import { isWorkflowError } from '@revos/envelope';
import { DelayedError, UnrecoverableError, Worker, type ConnectionOptions, type Job } from 'bullmq';
import { Cluster, Redis } from 'ioredis';
import type { Logger } from 'pino';
import { computeBackoffMs } from '../run/backoff.js';
import { LANE_SETTINGS, queueName, type Lane } from '../definition/lanes.js';
import { isInfrastructureError, runAttempt, type AttemptOutcome, type PipelineDeps } from '../run/pipeline.js';
import type { Context, Tracer } from '@opentelemetry/api';
import { traceJob, endAttemptTrace } from './job-trace.js';
import { publishRunOutput } from '../queue/request-reply.js';

/** What a finished job returns to BullMQ (visible in Bull Board): ids and status, never data. */
export interface JobReturn {
  workflow_run_id: string | null;
  status: string;
  outputs_hash: string | null;
}

/** The error BullMQ's backoff strategy reads the pipeline's chosen delay from. */
export class RetryScheduledError extends Error {
  override name = 'RetryScheduledError';
  constructor(
    message: string,
    readonly delayMs: number,
    readonly code: string,
  ) {
    super(message);
  }
}

export interface LaneWorkerOptions {
  lane: Lane;
  concurrency: number;
  connection: ConnectionOptions;
  /** BullMQ key prefix; wrap in braces (`{revos}`) for Redis Cluster. */
  prefix: string;
  deps: PipelineDeps;
  log: Logger;
  /**
   * Enqueues the follow-ups a finished run just wrote to the outbox, so a chain
   * (a voice turn handing off to WF71) does not wait for the dispatcher's next
   * sweep. Best effort: the sweep still picks up anything this misses.
   */
  dispatchFollowUps?: (parentRunId: string, traceParent?: Context) => Promise<unknown>;
  /** Traces each attempt (tracing/attempt-trace.ts), continuing the trace the job carries; absent: off. */
  tracer?: Tracer;
  /**
   * Publish each final output for callers waiting on it (request–reply, see queue/request-reply.ts).
   * Defaults to the realtime lane only: every published output stays in Redis for REPLY_TTL_MS, which a
   * busy batch lane should not pay for when nobody waits on it.
   */
  publishReplies?: boolean;
  /** Where replies are published; defaults to `connection` when that is an ioredis client. */
  replyRedis?: Redis | Cluster;
  /** Told about every attempt's outcome (metrics). Must not throw or block. */
  onOutcome?: (outcome: AttemptOutcome, info: { lane: Lane; durationMs: number; jobId: string }) => void;
}

/** The due time an earlier deferral left in the job's progress (see the `defer` outcome). */
function deferredUntilOf(job: Job): number | undefined {
  const progress = job.progress as { due_at_ms?: unknown } | number | string | boolean;
  return typeof progress === 'object' && progress !== null && typeof progress.due_at_ms === 'number' ? progress.due_at_ms : undefined;
}

/**
 * A BullMQ worker for one lane. Retry timing is the pipeline's: it picks the
 * delay (backoff with jitter, Retry-After as a floor) and the backoff strategy
 * hands it to BullMQ. Terminal outcomes are UnrecoverableError: recorded
 * already, never retried, visible as failed jobs in Bull Board.
 */
export function createLaneWorker(options: LaneWorkerOptions): Worker {
  const settings = LANE_SETTINGS[options.lane];
  // When the current infrastructure outage began (null: none). A parked job waits about half the
  // outage so far (0.5 s to 30 s): short blips drain fast, long outages are not hammered. Counting
  // failed jobs instead would hit the cap at once when many jobs fail together.
  let outageSince: number | null = null;
  const publish = options.publishReplies ?? options.lane === 'realtime';
  const replyRedis = publish ? (options.replyRedis ?? (options.connection instanceof Redis || options.connection instanceof Cluster ? options.connection : null)) : null;
  if (publish && !replyRedis) {
    options.log.warn({ lane: options.lane }, 'no ioredis connection for replies: request–reply callers will always reach their deadline');
  }

  const processor = async (job: Job, token?: string): Promise<JobReturn> => {
    let outcome: AttemptOutcome;
    const startedAt = performance.now();
    const trace = options.tracer ? traceJob(options.tracer, job, options.lane) : undefined;
    try {
      outcome = await runAttempt(options.deps, job.data, {
        trace,
        jobId: job.id ?? 'unknown',
        lane: options.lane,
        attemptsMade: job.attemptsMade,
        maxAttempts: job.opts.attempts ?? 1,
        // attemptsStarted counts every start, including those ended by a wait (DelayedError).
        waits: Math.max(0, (job.attemptsStarted ?? 0) - job.attemptsMade - 1),
        timing: { enqueuedAtMs: job.timestamp, scheduledDelayMs: job.opts.delay, deferredUntilMs: deferredUntilOf(job) },
      });
      outageSince = null;
    } catch (error) {
      trace?.end({ status: 'error', failureCode: isWorkflowError(error) ? error.code : 'infrastructure' });
      if (!isInfrastructureError(error) && !(isWorkflowError(error) && error.code === 'network')) throw error;
      // The durable store is unreachable: nothing could be recorded, so park the job and come back.
      outageSince ??= Date.now();
      const outageMs = Date.now() - outageSince;
      const delayMs = Math.round(Math.min(30_000, Math.max(500, outageMs / 2)) * (0.75 + Math.random() * 0.5));
      options.log.error({ job_id: job.id, delay_ms: delayMs, err_code: (error as { code?: unknown }).code }, 'infrastructure unavailable; job parked');
      await job.moveToDelayed(Date.now() + delayMs, token);
      throw new DelayedError();
    }

    if (trace) endAttemptTrace(trace, outcome);
    options.onOutcome?.(outcome, { lane: options.lane, durationMs: performance.now() - startedAt, jobId: job.id ?? 'unknown' });
    // A final outcome is recorded by now: tell a waiting caller first (it is live), then dispatch follow-ups.
    if ((outcome.kind === 'done' || outcome.kind === 'terminal') && outcome.output && replyRedis) {
      const output = outcome.output;
      await publishRunOutput(replyRedis, options.prefix, output).catch((error: unknown) =>
        options.log.warn({ workflow_run_id: output.meta_out.workflow_run_id, err: (error as Error).message }, 'reply not published; a waiting caller falls back at its deadline'),
      );
    }
    if ((outcome.kind === 'done' || outcome.kind === 'terminal') && outcome.output && outcome.output.result.next_actions.length > 0 && options.dispatchFollowUps) {
      const runId = outcome.output.meta_out.workflow_run_id;
      await options.dispatchFollowUps(runId, trace?.context).catch((error: unknown) =>
        options.log.warn({ workflow_run_id: runId, err: error }, 'immediate dispatch failed; the sweep will retry'),
      );
    }

    switch (outcome.kind) {
      case 'done':
        return {
          workflow_run_id: outcome.output.meta_out.workflow_run_id,
          status: outcome.output.result.status,
          outputs_hash: outcome.output.meta_out.outputs_hash,
        };
      case 'retry':
        throw new RetryScheduledError(`${outcome.code}: ${outcome.reason}`, outcome.delayMs, outcome.code);
      case 'wait':
        // Another worker holds the key: wait without spending one of this run's attempts.
        await job.moveToDelayed(Date.now() + outcome.delayMs, token);
        throw new DelayedError();
      case 'defer':
        // Quiet hours or the sender's rate: the job waits in the delayed set (Bull Board shows it, with the
        // progress saying why) and no attempt is spent. The due time also restarts its latency clock.
        {
          const dueAtMs = Date.now() + Math.max(1, outcome.delayMs);
          await job.updateProgress({ deferred: outcome.eventType, due_at_ms: dueAtMs });
          await job.moveToDelayed(dueAtMs, token);
        }
        throw new DelayedError();
      case 'terminal':
        throw new UnrecoverableError(`${outcome.code}: ${outcome.reason}`.slice(0, 1000));
      case 'lost':
        // Another worker owns the key now and will finish the run; or a PostgreSQL crash lost this
        // attempt's claim (claims commit asynchronously), and the reconciler enqueues the unsettled run
        // again. Either way this job has nothing left to do.
        return { workflow_run_id: null, status: 'lease_lost', outputs_hash: null };
    }
  };

  const worker = new Worker(queueName(options.lane), processor, {
    connection: options.connection,
    prefix: options.prefix,
    concurrency: options.concurrency,
    lockDuration: settings.lockDurationMs,
    stalledInterval: settings.stalledIntervalMs,
    maxStalledCount: settings.maxStalledCount,
    autorun: false,
    settings: {
      backoffStrategy: (attemptsMade, _type, err) =>
        err instanceof RetryScheduledError ? err.delayMs : computeBackoffMs({ failures: attemptsMade, baseMs: 1_000, maxMs: 60_000 }),
    },
  });
  worker.on('error', (error) => options.log.error({ err: error, lane: options.lane }, 'worker error'));
  return worker;
}
