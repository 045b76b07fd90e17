/**
 * The worker side of one bench variant, in its own process so its peak RSS is
 * its own (sampled every 100 ms). The parent (run.ts) has already filled the
 * queue(s); on `start` this process starts a worker and reports back over IPC.
 *
 * Every variant gets the same resources: ONE ioredis connection handed to the
 * Worker (BullMQ adds its blocking duplicate, as it does in production), ONE
 * postgres.js pool of `poolMax` connections, the same concurrency and the
 * interactive lane's lock settings.
 */
import { createDb, type Db } from '@revos/db';
import { createLaneWorker, createLogger, TenantCache, WorkflowCatalog, type PipelineDeps } from '@revos/runtime';
import { createTwilioSmsProvider } from '@revos/workflows';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import {
  BENCH_LANE,
  BENCH_LANE_SETTINGS,
  BENCH_QUEUE,
  benchWorkflow,
  enqueuedAtOf,
  mb,
  summarise,
  type ChildConfig,
  type ChildMessage,
  type ParentMessage,
  type Phase,
  type PhaseResult,
} from './shared.js';

const config = JSON.parse(process.argv[2] ?? '{}') as ChildConfig;

function send(message: ChildMessage): void {
  process.send?.(message);
}

// The parent going away (crash, Ctrl-C) must not leave this process running.
let stopping = false;
process.on('disconnect', () => {
  if (!stopping) process.exit(2);
});

let peakRss = process.memoryUsage().rss;
const rssTimer = setInterval(() => {
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
}, 100);

const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
const db: Db = createDb({ url: config.dbUrl, max: config.poolMax, applicationName: `revos-bench-${config.variant}` });

function makeWorker(prefix: string): Worker {
  switch (config.kind) {
    case 'raw-noop':
    case 'raw-insert': {
      const insert = config.kind === 'raw-insert';
      const processor = async (job: Job) => {
        // The naive "log it" worker: one INSERT of the job as it came, nothing else.
        if (insert) await db.sql`insert into bench_log (job_id, payload) values (${job.id ?? null}, ${JSON.stringify(job.data)}::text::jsonb)`;
        return { status: 'ok' };
      };
      return new Worker(BENCH_QUEUE, processor, {
        connection: redis,
        prefix,
        concurrency: config.concurrency,
        lockDuration: BENCH_LANE_SETTINGS.lockDurationMs,
        stalledInterval: BENCH_LANE_SETTINGS.stalledIntervalMs,
        maxStalledCount: BENCH_LANE_SETTINGS.maxStalledCount,
        autorun: false,
        settings: { backoffStrategy: () => 1_000 },
      });
    }
    case 'fleet': {
      // 'warn': the happy path writes no lines, so formatting and stdout do not dominate. The per-run
      // child logger (bindings serialised by pino at `child()`) is still created and is measured.
      const log = createLogger({ level: 'warn', base: { pid: process.pid, bench: config.variant } });
      const sms = createTwilioSmsProvider({ baseUrl: config.vendorUrl, accountSid: 'AC_bench', authToken: 'bench-token', timeoutMs: 10_000 });
      const deps: PipelineDeps = {
        db,
        catalog: new WorkflowCatalog([benchWorkflow(sms)]),
        tenants: new TenantCache(db.sql, 5_000),
        workerId: `bench-${process.pid}`,
        log,
        breachAlert: { count: 3, windowMs: 300_000 },
      };
      return createLaneWorker({ lane: BENCH_LANE, concurrency: config.concurrency, connection: redis, prefix, deps, log });
    }
  }
}

function isFinalFailure(job: Job | undefined, error: Error): boolean {
  if (!job) return true;
  return error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

/** Drains one pre-filled queue: from worker start until `target` jobs finished. */
async function runPhase(phase: Phase): Promise<PhaseResult> {
  const worker = makeWorker(phase.prefix);
  const startedAt = new Map<string, number>();
  const processing = new Float64Array(phase.target);
  let completed = 0;
  let finalFailures = 0;
  let failed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let t1 = 0;
  const check = () => {
    if (completed + finalFailures >= phase.target && t1 === 0) {
      t1 = performance.now();
      resolveDone();
    }
  };
  worker.on('active', (job: Job) => startedAt.set(job.id!, performance.now()));
  worker.on('completed', (job: Job) => {
    const now = performance.now();
    const t = startedAt.get(job.id!);
    startedAt.delete(job.id!);
    if (t !== undefined && completed < processing.length) processing[completed] = now - t;
    completed += 1;
    check();
  });
  worker.on('failed', (job: Job | undefined, error: Error) => {
    failed += 1;
    if (isFinalFailure(job, error)) finalFailures += 1;
    if (failed <= 3) console.error(`bench child ${config.variant}: job failed: ${error.name}: ${error.message}`);
    check();
  });
  worker.on('error', (error) => console.error(`bench child ${config.variant}: worker error: ${error.message}`));

  await worker.waitUntilReady();
  const t0 = performance.now();
  void worker.run();
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    done.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), config.phaseTimeoutMs))),
  ]);
  clearTimeout(timer);
  const elapsed = (t1 || performance.now()) - t0;
  await worker.close(timedOut);
  return {
    name: phase.name,
    target: phase.target,
    completed,
    failed,
    elapsed_ms: Math.round(elapsed),
    processing: summarise(processing.subarray(0, Math.min(completed, processing.length))),
    timed_out: timedOut,
  };
}

let idleWorker: Worker | undefined;
const idleSamples: [number, number][] = [];
let idleFailed = 0;

async function startIdle(phase: Phase): Promise<void> {
  const worker = makeWorker(phase.prefix);
  idleWorker = worker;
  worker.on('completed', (job: Job) => {
    idleSamples.push([enqueuedAtOf(job.data), Date.now() - enqueuedAtOf(job.data)]);
  });
  worker.on('failed', (_job: Job | undefined, error: Error) => {
    idleFailed += 1;
    if (idleFailed <= 3) console.error(`bench child ${config.variant}: job failed: ${error.name}: ${error.message}`);
  });
  worker.on('error', (error) => console.error(`bench child ${config.variant}: worker error: ${error.message}`));
  await worker.waitUntilReady();
  void worker.run();
  // Let the worker reach its blocking wait for jobs: the phase measures an idle worker woken by each arrival.
  await new Promise((r) => setTimeout(r, 300));
}

async function collect(expected: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (idleSamples.length + idleFailed < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  send({ type: 'samples', samples: idleSamples, failed: idleFailed });
}

async function stop(): Promise<void> {
  stopping = true;
  clearInterval(rssTimer);
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  if (idleWorker) await idleWorker.close(true);
  await db.close();
  await redis.quit();
  // Exit once the message is flushed (a normal exit is also when --cpu-prof writes its profile).
  const message: ChildMessage = { type: 'stopped', peak_rss_mb: mb(peakRss) };
  process.send?.(message, undefined, {}, () => process.exit(0));
}

async function onMessage(message: ParentMessage): Promise<void> {
  switch (message.type) {
    case 'start':
      if (config.mode === 'idle') {
        await startIdle(config.phases[0]!);
        send({ type: 'running' });
      } else {
        for (const phase of config.phases) send({ type: 'phase', result: await runPhase(phase) });
      }
      return;
    case 'collect':
      return collect(message.expected, message.timeoutMs);
    case 'stop':
      return stop();
  }
}

process.on('message', (message: ParentMessage) => {
  onMessage(message).catch((error: unknown) => {
    send({ type: 'fatal', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) });
    process.exitCode = 1;
  });
});

// Open the pool and the connection before reporting ready, so no variant pays connection setup in its timing.
// (Concurrent queries make postgres.js open every connection of the pool now.)
Promise.all([...Array.from({ length: config.poolMax }, () => db.sql`select pg_sleep(0.01)`), redis.ping()])
  .then(() => send({ type: 'ready', baseline_rss_mb: mb(process.memoryUsage().rss) }))
  .catch((error: unknown) => {
    send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
