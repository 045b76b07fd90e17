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
import { EventEmitter } from 'node:events';
import { createDb, type Db } from '@revos/db';
import { toJobId, type Envelope } from '@revos/envelope';
import { createLaneWorker, createLogger, TenantCache, WorkflowCatalog, type PipelineDeps } from '@revos/runtime';
import { createSenderPacer, createTwilioSmsProvider, type SmsProvider } from '@revos/workflows';
import { Worker, type Job } from 'bullmq';
// graphile-worker is imported only by its own variant (below): loaded in every child, it added about
// 20 MB to the fleet worker's RSS, which the production worker never loads.
import type { Runner, Task, WorkerEvents } from 'graphile-worker';
import { Redis } from 'ioredis';
import {
  BENCH_EVENT_TYPE,
  BENCH_EVENTS_INSERT,
  BENCH_LANE,
  BENCH_LANE_SETTINGS,
  BENCH_QUEUE,
  benchWorkflow,
  enqueuedAtOf,
  GRAPHILE_TASK,
  mb,
  round,
  sendBenchPing,
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
// graphile-worker brings its own pool (node-postgres); every other kind uses this one.
const db: Db | undefined = config.kind === 'graphile-effect' ? undefined : createDb({ url: config.dbUrl, max: config.poolMax, applicationName: `revos-bench-${config.variant}`, pooler: config.pooler ?? 'none' });
const sql = () => db!.sql;

/** The adapter every effect variant calls the stand-in through, configured the same way. */
const sms: SmsProvider = createTwilioSmsProvider({ baseUrl: config.vendorUrl, accountSid: 'AC_bench', authToken: 'bench-token', timeoutMs: 10_000 });

/** What a team writes by hand around the vendor call: send with the job's key as the token, record one event. */
async function handWrittenEffect(envelope: Envelope, record: (key: string, data: string) => Promise<unknown>): Promise<void> {
  const key = toJobId(envelope.meta.idempotency_key);
  const n = (envelope.payload as { n: number }).n;
  const sent = await sendBenchPing(sms, n, { idempotencyToken: key });
  await record(key, JSON.stringify({ sid: sent.sid, n }));
}

/**
 * Peak RSS so far, and the live JS heap after a full collection when the child runs with
 * --expose-gc (fleet-rss does): a rising heap is a leak, a flat heap under a rising RSS is V8
 * keeping freed pages.
 */
function rssCheckpoint(completed: number, elapsedMs: number): [number, number, number | null, number] {
  const gc = (globalThis as { gc?: () => void }).gc;
  gc?.();
  const usage = process.memoryUsage();
  return [completed, mb(Math.max(peakRss, usage.rss)), gc ? mb(usage.heapUsed) : null, Math.round(elapsedMs)];
}

/** One queue consumer, BullMQ or graphile-worker, seen the same way by the phases below. */
interface BenchWorker {
  onActive(listener: (id: string) => void): void;
  onCompleted(listener: (id: string, data: unknown) => void): void;
  onFailed(listener: (final: boolean, error: Error) => void): void;
  /** Connects and starts taking jobs. */
  start(): Promise<void>;
  close(force: boolean): Promise<void>;
}

function isFinalFailure(job: Job | undefined, error: Error): boolean {
  if (!job) return true;
  return error.name === 'UnrecoverableError' || job.attemptsMade >= (job.opts.attempts ?? 1);
}

function bullWorker(worker: Worker): BenchWorker {
  worker.on('error', (error) => console.error(`bench child ${config.variant}: worker error: ${error.message}`));
  return {
    onActive: (listener) => worker.on('active', (job: Job) => listener(job.id!)),
    onCompleted: (listener) => worker.on('completed', (job: Job) => listener(job.id!, job.data)),
    onFailed: (listener) => worker.on('failed', (job: Job | undefined, error: Error) => listener(isFinalFailure(job, error), error)),
    async start() {
      await worker.waitUntilReady();
      void worker.run();
    },
    close: (force) => worker.close(force),
  };
}

function rawBullProcessor(): (job: Job) => Promise<unknown> {
  switch (config.kind) {
    case 'raw-noop':
      return async () => ({ status: 'ok' });
    case 'raw-insert':
      // The naive "log it" worker: one INSERT of the job as it came, nothing else.
      return async (job) => {
        await sql()`insert into bench_log (job_id, payload) values (${job.id ?? null}, ${JSON.stringify(job.data)}::text::jsonb)`;
        return { status: 'ok' };
      };
    default:
      return async (job) => {
        await handWrittenEffect(job.data as Envelope, (key, data) => sql().unsafe(BENCH_EVENTS_INSERT, [key, BENCH_EVENT_TYPE, data]));
        return { status: 'ok' };
      };
  }
}

/**
 * graphile-worker with the settings its documentation recommends for throughput: a local queue
 * of concurrency + 1 jobs (fetched and locked in batches), completions batched, a pool as large
 * as the other variants' PostgreSQL pool. Its schema lives in the variant's scratch database.
 */
function graphileWorker(): BenchWorker {
  const events: WorkerEvents = new EventEmitter();
  let runner: Runner | undefined;
  const task: Task = async (payload, helpers) => {
    await handWrittenEffect(payload as Envelope, (key, data) => helpers.withPgClient((client) => client.query(BENCH_EVENTS_INSERT, [key, BENCH_EVENT_TYPE, data])));
  };
  return {
    onActive: (listener) => events.on('job:start', ({ job }) => listener(job.id)),
    onCompleted: (listener) => events.on('job:success', ({ job }) => listener(job.id, job.payload)),
    onFailed: (listener) => events.on('job:error', ({ job, error }) => listener(job.attempts >= job.max_attempts, error as Error)),
    async start() {
      const { Logger, run } = await import('graphile-worker');
      // graphile-worker's own lines at warning and above only, as the fleet logs at warn.
      const quietGraphileLogger = new Logger(() => (level, message) => {
        if (level === 'error' || level === 'warning') console.error(`bench child ${config.variant}: graphile-worker ${level}: ${message}`);
      });
      runner = await run({
        noHandleSignals: true,
        taskList: { [GRAPHILE_TASK]: task },
        events,
        logger: quietGraphileLogger,
        preset: {
          worker: {
            connectionString: config.dbUrl,
            concurrentJobs: config.concurrency,
            maxPoolSize: config.poolMax,
            pollInterval: 2_000,
            localQueue: { size: config.concurrency + 1 },
            completeJobBatchDelay: 0,
            failJobBatchDelay: 0,
          },
        },
      });
    },
    async close() {
      await runner?.stop();
    },
  };
}

function makeWorker(prefix: string): BenchWorker {
  switch (config.kind) {
    case 'graphile-effect':
      return graphileWorker();
    case 'fleet': {
      // 'warn': the happy path writes no lines, so formatting and stdout do not dominate. The per-run
      // child logger (bindings serialised by pino at `child()`) is still created and is measured.
      const log = createLogger({ level: 'warn', base: { pid: process.pid, bench: config.variant } });
      const deps: PipelineDeps = {
        db: db!,
        catalog: new WorkflowCatalog([benchWorkflow(sms, config.vendorDedupes, config.paced ? createSenderPacer(redis, { prefix }) : undefined)]),
        tenants: new TenantCache(db!.sql, 5_000),
        workerId: `bench-${process.pid}`,
        log,
        breachAlert: { count: 3, windowMs: 300_000 },
      };
      return bullWorker(createLaneWorker({ lane: BENCH_LANE, concurrency: config.concurrency, connection: redis, prefix, deps, log }));
    }
    default:
      return bullWorker(
        new Worker(BENCH_QUEUE, rawBullProcessor(), {
          connection: redis,
          prefix,
          concurrency: config.concurrency,
          lockDuration: BENCH_LANE_SETTINGS.lockDurationMs,
          stalledInterval: BENCH_LANE_SETTINGS.stalledIntervalMs,
          maxStalledCount: BENCH_LANE_SETTINGS.maxStalledCount,
          autorun: false,
          settings: { backoffStrategy: () => 1_000 },
        }),
      );
  }
}

/**
 * Drains one pre-filled queue until `target` jobs finished. The clock starts when the
 * `warmup`-th job finished, so connection set-up, JIT warm-up and the first fetch are not measured.
 */
async function runPhase(phase: Phase): Promise<PhaseResult> {
  const worker = makeWorker(phase.prefix);
  const startedAt = new Map<string, number>();
  const measured = phase.target - phase.warmup;
  const processing = new Float64Array(measured);
  const rssCheckpoints: [number, number, number | null, number][] = [];
  let finished = 0;
  let completed = 0;
  let failed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((resolve) => (resolveDone = resolve));
  let t0 = phase.warmup === 0 ? -1 : 0;
  let t1 = 0;
  // CPU this process spent in the timed window: far steadier than wall time on a shared machine.
  let cpu0: NodeJS.CpuUsage | undefined;
  let cpu: NodeJS.CpuUsage | undefined;
  const onFinished = () => {
    finished += 1;
    if (finished === phase.warmup) {
      t0 = performance.now();
      cpu0 = process.cpuUsage();
    }
    if (finished >= phase.target && t1 === 0) {
      t1 = performance.now();
      cpu = process.cpuUsage(cpu0);
      resolveDone();
    }
  };
  worker.onActive((id) => startedAt.set(id, performance.now()));
  worker.onCompleted((id) => {
    const now = performance.now();
    const t = startedAt.get(id);
    startedAt.delete(id);
    if (finished >= phase.warmup) {
      if (t !== undefined && completed < processing.length) processing[completed] = now - t;
      completed += 1;
      if (phase.rssEvery > 0 && completed % phase.rssEvery === 0) rssCheckpoints.push(rssCheckpoint(completed, now - t0));
    }
    onFinished();
  });
  worker.onFailed((final, error) => {
    failed += 1;
    if (failed <= 3) console.error(`bench child ${config.variant}: job failed: ${error.name}: ${error.message}`);
    if (final) onFinished();
  });

  await worker.start();
  if (t0 === -1) {
    t0 = performance.now();
    cpu0 = process.cpuUsage();
  }
  let timer: NodeJS.Timeout | undefined;
  const timedOut = await Promise.race([
    done.then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), config.phaseTimeoutMs))),
  ]);
  clearTimeout(timer);
  const elapsed = (t1 || performance.now()) - (t0 || performance.now());
  await worker.close(timedOut);
  return {
    name: phase.name,
    target: phase.target,
    warmup: phase.warmup,
    completed,
    failed,
    elapsed_ms: Math.round(elapsed),
    processing: summarise(processing.subarray(0, Math.min(completed, processing.length))),
    timed_out: timedOut,
    cpu_ms_per_run: cpu && completed > 0 ? round((cpu.user + cpu.system) / 1000 / completed, 3) : null,
    rss_checkpoints: rssCheckpoints,
  };
}

let idleWorker: BenchWorker | undefined;
const idleSamples: [number, number][] = [];
let idleFailed = 0;

async function startIdle(phase: Phase): Promise<void> {
  const worker = makeWorker(phase.prefix);
  idleWorker = worker;
  worker.onCompleted((_id, data) => {
    idleSamples.push([enqueuedAtOf(data), Date.now() - enqueuedAtOf(data)]);
  });
  worker.onFailed((_final, error) => {
    idleFailed += 1;
    if (idleFailed <= 3) console.error(`bench child ${config.variant}: job failed: ${error.name}: ${error.message}`);
  });
  await worker.start();
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
  await db?.close();
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
Promise.all([...Array.from({ length: db ? config.poolMax : 0 }, () => sql()`select pg_sleep(0.01)`), redis.ping()])
  .then(() => send({ type: 'ready', baseline_rss_mb: mb(process.memoryUsage().rss) }))
  .catch((error: unknown) => {
    send({ type: 'fatal', message: error instanceof Error ? error.message : String(error) });
    process.exit(1);
  });
