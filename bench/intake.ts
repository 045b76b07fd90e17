/**
 * The `intake-duplicates` variant's producer side: what a repeated delivery costs where production
 * absorbs it. A webhook sent twice or a producer's retry reaches `submitRequest` (what
 * `POST /v1/runs` calls) with the same body: intake computes the same idempotency key, the
 * producer's repeat cache (filled by the fresh pass; the accepted_runs row for a key it no longer
 * holds) answers "duplicate" with the first run's id, and nothing is enqueued, so no worker sees it.
 * Measured here against real PostgreSQL and Redis, in the bench process.
 */
import { createDb, type Db } from '@revos/db';
import type { Envelope } from '@revos/envelope';
import { loadProducerEnv, submitRequest, type SubmitOutcome } from '@revos/producer';
import { closeLaneQueues, createLaneQueues, IntakeRepeatCache, WorkflowCatalog, type IntakeDeps } from '@revos/runtime';
import { createTwilioSmsProvider } from '@revos/workflows';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { BENCH_QUEUE, BENCH_TENANT, benchWorkflow, round } from './shared.js';

/** One pass of submissions: how long they took at `concurrency` in flight and the bench process's CPU. */
export interface IntakePass {
  name: 'fresh' | 'duplicates';
  submissions: number;
  elapsed_ms: number;
  ms_per_submission: number;
  /** The bench process's user + system CPU over the pass / submissions (the producer's share of the work). */
  cpu_ms_per_submission: number;
  /** Answers by HTTP status (202 queued, 200 duplicate; anything else is a refusal). */
  answers: Record<string, number>;
}

/**
 * What a webhook or API client sends: the trigger, the subject and the payload, without the ids,
 * key and times intake fills in, so a repeat computes the same key from the same trigger and payload.
 */
export function intakeBody(e: Envelope): Record<string, unknown> {
  const { workflow_name, trigger_source, trigger_id, environment, privacy_mode } = e.meta;
  return { meta: { workflow_name, trigger_source, trigger_id, environment, privacy_mode }, subject: e.subject, payload: e.payload };
}

export interface BenchIntake {
  /** Submits every body once, `concurrency` at a time, through the producer's intake. */
  pass(name: IntakePass['name'], bodies: readonly Record<string, unknown>[], copies: number): Promise<{ pass: IntakePass; outcomes: SubmitOutcome[] }>;
  /** Jobs in the BullMQ queue (any state): a duplicate absorbed at intake adds none. */
  jobCount(): Promise<number>;
  close(): Promise<void>;
}

/** The producer's own default pool (DB_POOL_MAX): intake is measured as the producer runs it. */
export const INTAKE_POOL = 10;

export function openBenchIntake(o: { dbUrl: string; redisUrl: string; prefix: string; concurrency: number; vendorDedupes: boolean }): BenchIntake {
  const db: Db = createDb({ url: o.dbUrl, max: INTAKE_POOL, applicationName: 'revos-bench-intake' });
  const redis = new Redis(o.redisUrl, { maxRetriesPerRequest: null });
  const queues = createLaneQueues(redis, o.prefix);
  // Intake reads manifests only: the adapter is built, never called here.
  const sms = createTwilioSmsProvider({ baseUrl: 'http://unused.invalid', accountSid: 'x', authToken: 'x', timeoutMs: 1 });
  // The producer's repeat cache at its defaults, as a producer runs unless configured otherwise.
  const defaults = loadProducerEnv({});
  const repeats = new IntakeRepeatCache({ maxEntries: defaults.INTAKE_REPEAT_CACHE_SIZE, ttlMs: defaults.INTAKE_REPEAT_CACHE_TTL_MS });
  const deps: IntakeDeps = { db, queues, catalog: new WorkflowCatalog([benchWorkflow(sms, o.vendorDedupes)]), repeats };
  return {
    async pass(name, bodies, copies) {
      const total = bodies.length * copies;
      const outcomes: SubmitOutcome[] = new Array<SubmitOutcome>(total);
      let next = 0;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      // Copy-major, as the worker-side redeliveries: all first copies, then all second ones ...
      const lane = async () => {
        for (let i = next++; i < total; i = next++) outcomes[i] = await submitRequest(deps, bodies[i % bodies.length], BENCH_TENANT, 'api');
      };
      await Promise.all(Array.from({ length: Math.min(o.concurrency, total) }, lane));
      const elapsed = performance.now() - t0;
      const cpu = process.cpuUsage(cpu0);
      const answers: Record<string, number> = {};
      for (const out of outcomes) answers[out.httpStatus] = (answers[out.httpStatus] ?? 0) + 1;
      return {
        pass: {
          name,
          submissions: total,
          elapsed_ms: round(elapsed, 1),
          ms_per_submission: round(elapsed / total, 4),
          cpu_ms_per_submission: round((cpu.user + cpu.system) / 1000 / total, 4),
          answers,
        },
        outcomes,
      };
    },
    async jobCount() {
      const queue = new Queue(BENCH_QUEUE, { connection: redis, prefix: o.prefix });
      try {
        const counts = await queue.getJobCounts();
        return Object.values(counts).reduce((a, b) => a + b, 0);
      } finally {
        await queue.close();
      }
    },
    async close() {
      await closeLaneQueues(queues);
      await redis.quit();
      await db.close();
    },
  };
}
