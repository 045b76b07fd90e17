/**
 * The fleet benchmark: every variant side by side in one run, on this machine, in
 * this process tree. For each variant: a fresh database and BullMQ prefix, the
 * queue filled first, then a worker child started and timed until N completions.
 * Writes bench/results/<out>.json and .md. See bench/README.md.
 *
 *   node --conditions=@revos/source --import tsx bench/run.ts [--n=5000] [--variants=fleet,raw-insert]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { acceptRun, migrateDatabase, upsertTenant, type Sql } from '@revos/db';
import { envelopeHash, parseEnvelope, toJobId, type Envelope } from '@revos/envelope';
import { createTwilioSmsProvider } from '@revos/workflows';
import { Queue } from 'bullmq';
import { Logger as GraphileLogger, makeWorkerUtils, runMigrations as runGraphileMigrations } from 'graphile-worker';
import { Redis } from 'ioredis';
import postgres from 'postgres';
import { decodeTime, ulid } from 'ulid';
import { makeEnvelope } from '../test/support/harness.js';
import { startVendorStandin, type VendorStandin } from '../test/support/vendor-standin.js';
import { startPgBouncer, type PrivatePgBouncer } from '../test/support/pgbouncer.js';
import { serverRunsAutovacuum, startAutoAnalyze, type AutoAnalyzer } from './autoanalyze.js';
import { buildWorkerChild } from './build-child.js';
import { intakeBody, openBenchIntake } from './intake.js';
import { BASELINE_VARIANTS, DEFAULT_VARIANTS, loadEnv, PGBOUNCER_BINARY, type Variant } from './env.js';
import { voiceVariant } from './voice.js';
import { fairnessVariant } from './fairness.js';
import { storageVariant } from './storage.js';
import { fairShareDesignsVariant } from './fair-share-designs.js';
import { assignFairRound } from '@revos/runtime';
import { deriveRatios, renderMarkdown, type BenchReport, type Check, type IdleResult, type IntakeDuplicatesResult, type ThroughputResult } from './report.js';
import {
  BENCH_EVENT_TYPE,
  BENCH_EVENTS_DDL,
  BENCH_QUEUE,
  BENCH_TENANT,
  BENCH_WORKFLOW,
  benchWorkflow,
  GRAPHILE_TASK,
  round,
  runJobOptions,
  summarise,
  type ChildConfig,
  type ChildMessage,
  type ParentMessage,
  type Phase,
  type PhaseResult,
  type WorkerKind,
} from './shared.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RESULTS_DIR = fileURLToPath(new URL('./results/', import.meta.url));
const HISTORY_DIR = `${RESULTS_DIR}history/`;
const BENCH_DB_PREFIX = 'revos_bench_';
/** Databases of crashed bench runs older than this are dropped at start. */
const STALE_AFTER_MS = 60 * 60 * 1000;
const FILL_CHUNK = 1_000;
/** A phase gives up after 150 s plus 5 ms a job (fleet-rss's 101,000 jobs: about 10 minutes, at 200 runs/s). */
const phaseTimeoutMs = (phases: readonly Phase[]) => 150_000 + 5 * Math.max(0, ...phases.map((p) => p.target));

const env = loadEnv();
const variants: readonly Variant[] = env.BENCH_VARIANTS.length > 0 ? env.BENCH_VARIANTS : DEFAULT_VARIANTS;
const poolMax = env.BENCH_POOL || Math.min(env.BENCH_CONCURRENCY, 50);
const attempts = benchWorkflow(createTwilioSmsProvider({ baseUrl: 'http://unused.invalid', accountSid: 'x', authToken: 'x', timeoutMs: 1 }), env.BENCH_VENDOR_DEDUPES).attempts;

const admin = postgres(`${env.BENCH_PG_URL}/postgres`, { max: 1, onnotice: () => {} });
const redis = new Redis(env.BENCH_REDIS_URL, { maxRetriesPerRequest: null });
let vendor: VendorStandin | undefined;
/** The bundled worker child (see build-child.ts), and the one built from BENCH_BASELINE's runtime. */
let childScript = '';
let baselineScript = '';
/** The child of the variant being measured, for Ctrl-C. */
let currentChild: ChildProcess | undefined;
let interrupted = false;
let baselineCommit: string | null = null;
/** Set at start when the server runs without autovacuum: the bench then analyzes each variant's database itself (autoanalyze.ts). */
let emulateAutoanalyze = false;
const AUTOANALYZE_EVERY_MS = env.BENCH_AUTOANALYZE_EVERY_MS;

function log(line: string): void {
  console.log(`[bench] ${line}`);
}

// ---------------------------------------------------------------------------- resources

interface BenchDatabase {
  name: string;
  url: string;
}

/** graphile-worker's own lines (migrations, adding jobs) at warning and above only. */
const graphileLogger = new GraphileLogger(() => (level, message) => {
  if (level === 'error' || level === 'warning') log(`graphile-worker ${level}: ${message}`);
});

/**
 * A scratch database per variant: the fleet's schema for the fleet, graphile-worker's own
 * schema (its migrations) for graphile-worker, and only the table a raw worker writes otherwise.
 */
async function createBenchDatabase(kind: WorkerKind): Promise<BenchDatabase> {
  const name = `${BENCH_DB_PREFIX}${ulid().toLowerCase()}`;
  const url = `${env.BENCH_PG_URL}/${name}`;
  if (kind === 'fleet') await migrateDatabase(url);
  else await admin`create database ${admin(name)}`;
  if (kind === 'graphile-effect') await runGraphileMigrations({ connectionString: url, logger: graphileLogger });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    if (kind === 'raw-insert') {
      await sql`create table bench_log (id bigserial primary key, job_id text, payload jsonb not null, created_at timestamptz not null default now())`;
    }
    if (kind === 'raw-effect' || kind === 'graphile-effect') await sql.unsafe(BENCH_EVENTS_DDL);
    if (kind === 'fleet') await upsertTenant(sql, { tenantId: BENCH_TENANT, name: 'Bench Practice' });
  } finally {
    await sql.end({ timeout: 5 });
  }
  return { name, url };
}

/** fleet-pgbouncer's pooler: PgBouncer in transaction mode on a free loopback port, in front of BENCH_PG_URL's server. */
async function startBenchPgBouncer(): Promise<PrivatePgBouncer> {
  if (!existsSync(PGBOUNCER_BINARY)) throw new Error(`fleet-pgbouncer: ${PGBOUNCER_BINARY} not found (install the Debian package pgbouncer: scripts/ensure-topology-tools.sh)`);
  const server = new URL(env.BENCH_PG_URL);
  const bouncer = await startPgBouncer({ serverHost: server.hostname, serverPort: Number(server.port || 5432), poolMode: 'transaction', poolSize: poolMax });
  log(`fleet-pgbouncer: PgBouncer (transaction mode, ${poolMax} server connections) on 127.0.0.1:${bouncer.port}`);
  return bouncer;
}

async function dropDatabase(name: string): Promise<void> {
  await admin`drop database if exists ${admin(name)} with (force)`;
}

/** Bench databases left by a run that was killed (SIGKILL skips our cleanup). */
async function sweepStaleDatabases(): Promise<void> {
  const rows = await admin<{ datname: string }[]>`select datname from pg_database where datname like ${BENCH_DB_PREFIX + '%'}`;
  for (const { datname } of rows) {
    let born = 0;
    try {
      born = decodeTime(datname.slice(BENCH_DB_PREFIX.length).toUpperCase());
    } catch {
      born = 0;
    }
    if (Date.now() - born > STALE_AFTER_MS) {
      log(`dropping stale ${datname}`);
      await dropDatabase(datname);
    }
  }
}

async function deleteKeys(prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.unlink(...keys);
  } while (cursor !== '0');
}

const newPrefix = () => `revos-bench-${ulid().toLowerCase()}`;

/** Cleanup that runs whatever happened to the variant. */
interface Owned {
  dbs: string[];
  prefixes: string[];
  analyzers: AutoAnalyzer[];
}

async function withResources<T>(body: (own: Owned) => Promise<T>): Promise<T> {
  const own: Owned = { dbs: [], prefixes: [], analyzers: [] };
  try {
    return await body(own);
  } finally {
    if (currentChild && currentChild.exitCode === null && currentChild.signalCode === null) currentChild.kill('SIGKILL');
    currentChild = undefined;
    for (const analyzer of own.analyzers) {
      const analyzed = await analyzer.stop().catch(() => 0);
      if (analyzed > 0) log(`autoanalyze: ${analyzed} tables analyzed during the variant`);
    }
    for (const prefix of own.prefixes) await deleteKeys(prefix).catch((e: unknown) => log(`could not clean ${prefix}: ${String(e)}`));
    for (const db of own.dbs) await dropDatabase(db).catch((e: unknown) => log(`could not drop ${db}: ${String(e)}`));
  }
}

/** A fresh database owned (dropped afterwards) by `own`, analyzed as autovacuum would where the server does not. */
async function ownDatabase(own: Owned, kind: WorkerKind): Promise<BenchDatabase> {
  const database = await createBenchDatabase(kind);
  own.dbs.push(database.name);
  if (emulateAutoanalyze) own.analyzers.push(startAutoAnalyze(database.url, AUTOANALYZE_EVERY_MS, log));
  return database;
}

/** A fresh database and BullMQ prefix, both owned (removed afterwards) by `own`. */
async function ownDatabaseAndPrefix(own: Owned, kind: WorkerKind): Promise<{ dbUrl: string; prefix: string }> {
  const database = await ownDatabase(own, kind);
  const prefix = newPrefix();
  own.prefixes.push(prefix);
  return { dbUrl: database.url, prefix };
}

// ---------------------------------------------------------------------------- producer side

function benchEnvelope(n: number): Envelope {
  return makeEnvelope({ workflow: BENCH_WORKFLOW, tenantId: BENCH_TENANT, payload: { n } });
}

interface BulkJob {
  name: string;
  data: Envelope;
  opts: ReturnType<typeof runJobOptions>;
}

/** One `addBulk` per chunk: a MULTI of FILL_CHUNK adds, so filling costs seconds, not minutes. */
async function fill(prefix: string, jobs: Iterable<BulkJob>): Promise<number> {
  const queue = new Queue(BENCH_QUEUE, { connection: redis, prefix });
  let count = 0;
  try {
    let chunk: BulkJob[] = [];
    for (const job of jobs) {
      chunk.push(job);
      if (chunk.length === FILL_CHUNK) {
        await queue.addBulk(chunk);
        count += chunk.length;
        chunk = [];
      }
    }
    if (chunk.length > 0) {
      await queue.addBulk(chunk);
      count += chunk.length;
    }
  } finally {
    await queue.close();
  }
  return count;
}

/**
 * The fleet variants' fill since fair share: each job with the priority production's enqueue gives it
 * (its tenant's round in the lane, fair-share.ts), one add at a time, as intake adds them. `fleet-fifo`
 * keeps the plain fill, the lane as it was before fair share.
 */
async function fillFair(prefix: string, jobs: Iterable<BulkJob>): Promise<number> {
  const queue = new Queue(BENCH_QUEUE, { connection: redis, prefix });
  let count = 0;
  try {
    for (const job of jobs) {
      const { priority } = await assignFairRound(queue, prefix, job.data.meta.tenant_id, toJobId(job.data.meta.idempotency_key));
      await queue.add(job.name, job.data, { ...job.opts, priority });
      count += 1;
    }
  } finally {
    await queue.close();
  }
  return count;
}

const FAIR_FILLED: ReadonlySet<Variant> = new Set(['fleet', 'fleet-pgbouncer', 'fleet-rss', 'fleet-baseline', 'fleet-paced']);

/**
 * graphile-worker's queue is its jobs table: the same envelopes as job payloads, added with its
 * own bulk `addJobs` (one statement per chunk), keyed by the same idempotency key as the BullMQ jobId.
 */
async function fillGraphile(dbUrl: string, envelopes: readonly Envelope[]): Promise<number> {
  const utils = await makeWorkerUtils({ connectionString: dbUrl, logger: graphileLogger });
  try {
    for (let i = 0; i < envelopes.length; i += FILL_CHUNK) {
      await utils.addJobs(
        envelopes.slice(i, i + FILL_CHUNK).map((e) => ({ identifier: GRAPHILE_TASK, payload: e, maxAttempts: attempts, jobKey: toJobId(e.meta.idempotency_key) })),
      );
    }
  } finally {
    await utils.release();
  }
  return envelopes.length;
}

/**
 * Intake's acceptance of each envelope (its accepted_runs and `queued` run rows), as the producer writes
 * it before the enqueue: the fleet's worker runs only accepted runs. Not timed (it is the producer's work);
 * raw workers and graphile-worker need none.
 */
async function acceptAll(sql: Sql, envelopes: readonly Envelope[]): Promise<void> {
  const ACCEPT_AT_ONCE = 16;
  for (let i = 0; i < envelopes.length; i += ACCEPT_AT_ONCE) await Promise.all(envelopes.slice(i, i + ACCEPT_AT_ONCE).map((e) => accept(sql, e)));
}

/** A pool of 16 on the variant's database for `body`, then closed. */
async function withSql<T>(url: string, body: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = postgres(url, { max: 16, onnotice: () => {} });
  try {
    return await body(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

function accept(sql: Sql, e: Envelope): Promise<unknown> {
  const m = e.meta;
  return acceptRun(sql, {
    idempotencyKey: m.idempotency_key, workflowRunId: m.workflow_run_id, parentRunId: null, rootRunId: m.root_run_id, correlationId: m.correlation_id,
    tenantId: m.tenant_id, workflowName: m.workflow_name, workflowVersion: m.workflow_version, jobId: toJobId(m.idempotency_key), lane: 'interactive',
    triggerSource: m.trigger_source, triggerId: m.trigger_id, privacyMode: m.privacy_mode, priority: null, runAfter: null, source: 'api',
    envelope: e, envelopeHash: envelopeHash(e),
  });
}

/** The same envelopes (validated as `enqueueRun` does) for every variant; raw workers just get them as data. */
function* freshJobs(envelopes: readonly Envelope[]): Generator<BulkJob> {
  for (const e of envelopes) yield { name: e.meta.workflow_name, data: e, opts: runJobOptions(toJobId(e.meta.idempotency_key), attempts) };
}

/**
 * Redeliveries: the same envelope (same run id and key) under its own jobId, so
 * BullMQ's jobId dedupe does not absorb it and the pipeline's ledger must.
 * Copy-major order (all first copies, then all second ...): a redelivery storm, not
 * ten copies of one key side by side.
 */
function* duplicateJobs(envelopes: readonly Envelope[], copies: number): Generator<BulkJob> {
  for (let i = 1; i <= copies; i++) {
    for (const e of envelopes) {
      yield { name: e.meta.workflow_name, data: e, opts: runJobOptions(`${toJobId(e.meta.idempotency_key)}-d${i}`, attempts) };
    }
  }
}

// ---------------------------------------------------------------------------- the child

class ChildHandle {
  private readonly inbox: ChildMessage[] = [];
  private waiter: { type: ChildMessage['type']; resolve: (m: ChildMessage) => void; reject: (e: Error) => void } | undefined;
  private exited: Error | undefined;
  readonly exit: Promise<number | null>;

  constructor(readonly process: ChildProcess) {
    process.on('message', (m: ChildMessage) => {
      if (m.type === 'fatal') return this.fail(new Error(`worker child: ${m.message}`));
      this.inbox.push(m);
      this.deliver();
    });
    this.exit = new Promise((resolve) => {
      process.on('exit', (code, signal) => {
        this.fail(new Error(`worker child exited (code ${code}, signal ${signal})`));
        resolve(code);
      });
    });
  }

  private fail(error: Error): void {
    this.exited ??= error;
    const w = this.waiter;
    this.waiter = undefined;
    w?.reject(error);
  }

  private deliver(): void {
    if (!this.waiter) return;
    const i = this.inbox.findIndex((m) => m.type === this.waiter!.type);
    if (i === -1) return;
    const [m] = this.inbox.splice(i, 1);
    const w = this.waiter;
    this.waiter = undefined;
    w.resolve(m!);
  }

  send(message: ParentMessage): void {
    this.process.send(message);
  }

  next<T extends ChildMessage['type']>(type: T): Promise<Extract<ChildMessage, { type: T }>> {
    return new Promise((resolve, reject) => {
      this.waiter = { type, resolve: resolve as (m: ChildMessage) => void, reject };
      this.deliver();
      // Exited before we asked, with nothing queued for us.
      if (this.waiter && this.exited) this.fail(this.exited);
    });
  }
}

function startChild(config: ChildConfig): ChildHandle {
  // Plain node: the bundle needs no loader and no export condition.
  // --rss-gc: fleet-rss forces a full collection at each checkpoint and reads the live heap (a leak
  // check). Off by default: forced collections would flatten the very RSS curve being measured.
  const execArgv: string[] = config.variant === 'fleet-rss' && env.BENCH_RSS_GC ? ['--expose-gc'] : [];
  execArgv.push(...env.BENCH_CHILD_NODE_FLAGS);
  if ((env.BENCH_PROFILE as string[]).includes(config.variant)) {
    const name = `${config.variant}-${new Date().toISOString().replace(/[:.]/g, '-')}.cpuprofile`;
    execArgv.push('--cpu-prof', `--cpu-prof-dir=${RESULTS_DIR}`, `--cpu-prof-name=${name}`);
    log(`profiling the ${config.variant} worker into bench/results/${name}`);
  }
  const script = BASELINE_VARIANTS.has(config.variant as Variant) ? baselineScript : childScript;
  const child = fork(script, [JSON.stringify(config)], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  currentChild = child;
  return new ChildHandle(child);
}

function childConfig(variant: Variant, kind: WorkerKind, mode: ChildConfig['mode'], dbUrl: string, phases: Phase[]): ChildConfig {
  return {
    variant,
    kind,
    mode,
    redisUrl: env.BENCH_REDIS_URL,
    dbUrl,
    vendorUrl: vendor!.url,
    concurrency: env.BENCH_CONCURRENCY,
    poolMax,
    vendorDedupes: env.BENCH_VENDOR_DEDUPES,
    paced: variant === 'fleet-paced',
    phases,
    phaseTimeoutMs: phaseTimeoutMs(phases),
  };
}

/** Stops the child and waits for it to exit; returns its peak RSS. */
async function stopChild(child: ChildHandle): Promise<number> {
  child.send({ type: 'stop' });
  const { peak_rss_mb } = await child.next('stopped');
  await child.exit;
  return peak_rss_mb;
}

// ---------------------------------------------------------------------------- variants

const KIND: Record<Variant, WorkerKind> = {
  'raw-noop': 'raw-noop',
  'raw-insert': 'raw-insert',
  'raw-effect': 'raw-effect',
  'graphile-worker-effect': 'graphile-effect',
  fleet: 'fleet',
  'fleet-pgbouncer': 'fleet',
  'fleet-duplicates': 'fleet',
  'intake-duplicates': 'fleet',
  'idle-raw-noop': 'raw-noop',
  'idle-raw-effect': 'raw-effect',
  'idle-fleet': 'fleet',
  voice: 'fleet',
  'fleet-rss': 'fleet',
  'fleet-baseline': 'fleet',
  'idle-fleet-baseline': 'fleet',
  'fleet-fifo': 'fleet',
  'fleet-paced': 'fleet',
  fairness: 'fleet',
  'fair-share-designs': 'raw-noop',
  storage: 'fleet',
};

/**
 * The vendor stand-in (reset when the variant started) and the database each saw every run
 * exactly once: N calls with N distinct tokens, N events; for the fleet also N completed effects
 * and N ok runs, for the comparators N distinct run keys among their event rows.
 */
async function exactlyOnceCheck(variant: Variant, kind: WorkerKind, dbUrl: string, expected: number): Promise<Check> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    const [row] =
      kind === 'fleet'
        ? await sql<{ events: number; effects: number | null; ok_runs: number | null; runs: number }[]>`
            select (select count(*)::int from events where event_type = ${BENCH_EVENT_TYPE}) as events,
                   (select count(*)::int from effects where state = 'completed') as effects,
                   (select count(*)::int from workflow_runs where status = 'ok') as ok_runs,
                   (select count(distinct idempotency_key)::int from workflow_runs where status = 'ok') as runs`
        : await sql<{ events: number; effects: number | null; ok_runs: number | null; runs: number }[]>`
            select count(*)::int as events, null::int as effects, null::int as ok_runs, count(distinct run_key)::int as runs
            from bench_events where event_type = ${BENCH_EVENT_TYPE}`;
    const calls = vendor!.countFor('sms');
    const tokens = new Set(vendor!.requests.map((r) => r.headers['i-twilio-idempotency-token'])).size;
    const { events, effects, ok_runs, runs } = row!;
    const ok = calls === expected && tokens === expected && events === expected && runs === expected && (kind !== 'fleet' || (effects === expected && ok_runs === expected));
    return { variant, expected, vendor_calls: calls, distinct_tokens: tokens, events, distinct_runs: runs, effects, ok_runs, pass: ok };
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/**
 * Transactions committed in a variant's database so far (PostgreSQL counts them per database). Read
 * before the worker starts and after it exited (its backends flushed their counts), the difference
 * divided by the jobs says how well group commit shares one commit among runs.
 */
async function committedTransactions(dbUrl: string): Promise<number> {
  const sql = postgres(dbUrl, { max: 1, onnotice: () => {} });
  try {
    await sql`select pg_stat_force_next_flush()`.catch(() => {});
    const [row] = await sql<{ n: number }[]>`select xact_commit::int as n from pg_stat_database where datname = current_database()`;
    return row!.n;
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Kinds whose every run makes the vendor call and records it, so exactly-once can be checked. */
const CHECKED: ReadonlySet<WorkerKind> = new Set(['fleet', 'raw-effect', 'graphile-effect']);

async function throughputVariant(variant: Variant, n: number): Promise<ThroughputResult> {
  const kind = KIND[variant];
  return withResources(async (own) => {
    const database = await ownDatabase(own, kind);
    const warmup = env.BENCH_WARMUP;
    const total = warmup + n;
    const envelopes = Array.from({ length: total }, (_, i) => benchEnvelope(i)).map((e) => parseEnvelope(e));
    // fleet-rss samples its peak RSS every BENCH_N runs of one long worker: flat, or growing with N.
    const rssEvery = variant === 'fleet-rss' ? Math.min(env.BENCH_N, n) : 0;
    const phases: Phase[] = [{ name: 'fresh', prefix: newPrefix(), target: total, warmup, rssEvery }];
    const copies = env.BENCH_DELIVERIES - 1;
    // Redeliveries of runs that already completed: every fresh run finished before the first one is taken.
    if (variant === 'fleet-duplicates') phases.push({ name: 'duplicates', prefix: newPrefix(), target: total * copies, warmup, rssEvery: 0 });
    own.prefixes.push(...phases.map((p) => p.prefix));

    const t0 = performance.now();
    if (kind === 'fleet') await withSql(database.url, (sql) => acceptAll(sql, envelopes));
    if (kind === 'graphile-effect') await fillGraphile(database.url, envelopes);
    else if (FAIR_FILLED.has(variant)) await fillFair(phases[0]!.prefix, freshJobs(envelopes));
    else await fill(phases[0]!.prefix, freshJobs(envelopes));
    if (phases[1]) await fill(phases[1].prefix, duplicateJobs(envelopes, copies));
    log(`${variant}: queued ${phases.map((p) => `${p.target} ${p.name}`).join(' + ')} in ${Math.round(performance.now() - t0)} ms`);

    // The fill's own commits (the fleet's intake rows, graphile-worker's job rows) are not the worker's.
    const commitsBeforeWorker = await committedTransactions(database.url);
    vendor!.reset();
    // fleet-pgbouncer: the same worker, its DATABASE_URL through a PgBouncer in transaction mode started
    // here (as many server connections as the child's pool, so only the pooler differs); the database
    // was created, migrated and filled direct, and is checked direct, as an operator's migration step runs.
    const bouncer = variant === 'fleet-pgbouncer' ? await startBenchPgBouncer() : undefined;
    let results: PhaseResult[];
    let peak: number;
    let baseline_rss_mb: number;
    try {
      const config = childConfig(variant, kind, 'throughput', bouncer ? bouncer.databaseUrl(database.name) : database.url, phases);
      const child = startChild(bouncer ? { ...config, pooler: 'transaction' } : config);
      ({ baseline_rss_mb } = await child.next('ready'));
      child.send({ type: 'start' });
      results = [];
      for (let i = 0; i < phases.length; i++) {
        const { result } = await child.next('phase');
        results.push(result);
        log(
          `${variant}/${result.name}: ${result.completed}/${result.target} in ${result.elapsed_ms} ms = ${round((result.completed / result.elapsed_ms) * 1000, 0)}/s, worker CPU ${result.cpu_ms_per_run} ms/run` +
            ` (processing p50 ${result.processing.p50_ms} ms, p99 ${result.processing.p99_ms} ms; failed events ${result.failed}${result.timed_out ? '; TIMED OUT' : ''})`,
        );
      }
      peak = await stopChild(child);
    } catch (error) {
      if (bouncer) log(`${variant}: PgBouncer's log ends\n${bouncer.logTail()}`);
      throw error;
    } finally {
      await bouncer?.stop();
    }
    let previous = [0, 0];
    for (const [runs, rss, heap, atMs] of results[0]!.rss_checkpoints) {
      const segment = round(((runs - previous[0]!) / (atMs - previous[1]!)) * 1000, 0);
      log(`${variant}: after ${runs} runs peak RSS ${rss} MB, live heap after GC ${heap ?? '–'} MB; ${segment} runs/s since the last checkpoint`);
      previous = [runs, atMs];
    }
    let check: Check | null = null;
    if (CHECKED.has(kind)) {
      check = await exactlyOnceCheck(variant, kind, database.url, total);
      log(`${variant}: exactly-once ${check.pass ? 'PASS' : 'FAIL'} (vendor calls ${check.vendor_calls}, events ${check.events}, expected ${total})`);
    } else if (kind === 'raw-insert') {
      const sql = postgres(database.url, { max: 1, onnotice: () => {} });
      const [row] = await sql<{ c: number }[]>`select count(*)::int as c from bench_log`;
      await sql.end({ timeout: 5 });
      if (row!.c !== total) log(`${variant}: bench_log holds ${row!.c} rows, expected ${total}`);
    }
    const commits = (await committedTransactions(database.url)) - commitsBeforeWorker;
    const runs = phases.reduce((sum, p) => sum + p.target, 0);
    log(`${variant}: ${commits} transactions committed in its database while the worker ran, ${round(commits / runs, 2)} per job`);
    return { variant, kind, phases: results, peak_rss_mb: peak, baseline_rss_mb, check, db_commits_per_job: round(commits / runs, 3) };
  });
}

/**
 * A repeated delivery where production absorbs it: `duplicates-n` + warm-up bodies submitted through
 * the producer's intake (`submitRequest`, what POST /v1/runs calls), drained by a fleet worker child,
 * then every body submitted `deliveries - 1` more times. Each repeat must be answered 200 "duplicate"
 * with the first run's id and add no job. Cost: time per repeat / (time per fresh submission + the
 * worker's time per fresh run), both at the bench's concurrency.
 */
async function intakeDuplicatesVariant(): Promise<IntakeDuplicatesResult> {
  const variant: Variant = 'intake-duplicates';
  return withResources(async (own) => {
    const { dbUrl, prefix } = await ownDatabaseAndPrefix(own, 'fleet');
    const warmup = env.BENCH_WARMUP;
    const total = warmup + (env.BENCH_DUPLICATES_N || env.BENCH_N);
    const copies = env.BENCH_DELIVERIES - 1;
    const bodies = Array.from({ length: total }, (_, i) => intakeBody(benchEnvelope(i)));
    const intake = openBenchIntake({ dbUrl: dbUrl, redisUrl: env.BENCH_REDIS_URL, prefix, concurrency: env.BENCH_CONCURRENCY, vendorDedupes: env.BENCH_VENDOR_DEDUPES });
    try {
      const fresh = await intake.pass('fresh', bodies, 1);
      log(`${variant}/intake fresh: ${total} submissions in ${fresh.pass.elapsed_ms} ms = ${fresh.pass.ms_per_submission} ms each, CPU ${fresh.pass.cpu_ms_per_submission} ms (answers ${JSON.stringify(fresh.pass.answers)})`);
      const firstRunId = new Map<string, string>();
      for (const out of fresh.outcomes) if (out.ok) firstRunId.set(out.body.idempotency_key, out.body.workflow_run_id);

      vendor!.reset();
      const child = startChild(childConfig(variant, 'fleet', 'throughput', dbUrl, [{ name: 'fresh', prefix, target: total, warmup, rssEvery: 0 }]));
      await child.next('ready');
      child.send({ type: 'start' });
      const { result: worker } = await child.next('phase');
      await stopChild(child);
      log(`${variant}/worker fresh: ${worker.completed} in ${worker.elapsed_ms} ms = ${round((worker.completed / worker.elapsed_ms) * 1000, 0)}/s, worker CPU ${worker.cpu_ms_per_run} ms/run`);
      const jobsBefore = await intake.jobCount();

      const dups = await intake.pass('duplicates', bodies, copies);
      const jobsAfter = await intake.jobCount();
      const absorbed = dups.outcomes.filter((out) => out.ok && out.httpStatus === 200 && out.body.status === 'duplicate' && firstRunId.get(out.body.idempotency_key) === out.body.workflow_run_id).length;
      log(`${variant}/intake duplicates: ${dups.pass.submissions} submissions in ${dups.pass.elapsed_ms} ms = ${dups.pass.ms_per_submission} ms each, CPU ${dups.pass.cpu_ms_per_submission} ms; ${absorbed} answered duplicate of the first run; jobs ${jobsBefore} → ${jobsAfter}`);
      const check = await exactlyOnceCheck(variant, 'fleet', dbUrl, total);
      const pass = check.pass && fresh.pass.answers['202'] === total && absorbed === dups.pass.submissions && jobsAfter === jobsBefore;
      log(`${variant}: exactly-once ${pass ? 'PASS' : 'FAIL'} (vendor calls ${check.vendor_calls}, expected ${total}; every repeat absorbed at intake: ${absorbed === dups.pass.submissions && jobsAfter === jobsBefore})`);
      return { variant, envelopes: total, copies, fresh_intake: fresh.pass, worker, duplicates: dups.pass, jobs_before: jobsBefore, jobs_after: jobsAfter, absorbed, check: { ...check, pass } };
    } finally {
      await intake.close();
    }
  });
}

async function idleVariant(variant: Variant): Promise<IdleResult> {
  const kind = KIND[variant];
  return withResources(async (own) => {
    const { dbUrl, prefix } = await ownDatabaseAndPrefix(own, kind);
    vendor!.reset();
    const child = startChild(childConfig(variant, kind, 'idle', dbUrl, [{ name: 'idle', prefix, target: 0, warmup: 0, rssEvery: 0 }]));
    const { baseline_rss_mb } = await child.next('ready');
    child.send({ type: 'start' });
    await child.next('running');

    const queue = new Queue(BENCH_QUEUE, { connection: redis, prefix });
    // The fleet runs only accepted runs: each arrival is accepted, then enqueued, as the producer does
    // (its latency counts from the envelope's stamp, so it includes the acceptance's commit).
    const acceptor = kind === 'fleet' ? postgres(dbUrl, { max: 8, onnotice: () => {} }) : undefined;
    const intervalMs = 1000 / env.BENCH_IDLE_RATE;
    const warmup = Math.round(env.BENCH_IDLE_WARMUP_SECONDS * env.BENCH_IDLE_RATE);
    const total = warmup + Math.round(env.BENCH_IDLE_SECONDS * env.BENCH_IDLE_RATE);
    const adds: Promise<unknown>[] = [];
    let measureFrom = Number.POSITIVE_INFINITY;
    const start = performance.now();
    let lastAt = start;
    try {
      for (let i = 0; i < total; i++) {
        // A fixed schedule (not "sleep 5 ms after each"), so timer lateness does not lower the rate.
        const due = start + i * intervalMs;
        const wait = due - performance.now();
        if (wait > 0.5) await new Promise((r) => setTimeout(r, wait));
        if (i === warmup) measureFrom = Date.now();
        const e = parseEnvelope(benchEnvelope(i)); // stamped now: timestamp_utc is the enqueue time
        const add = () => queue.add(e.meta.workflow_name, e, runJobOptions(toJobId(e.meta.idempotency_key), attempts));
        adds.push(acceptor ? accept(acceptor, e).then(add) : add());
        lastAt = performance.now();
      }
      await Promise.all(adds);
    } finally {
      await queue.close();
      await acceptor?.end({ timeout: 5 });
    }
    const achievedRate = round(((total - 1) / (lastAt - start)) * 1000, 1);
    child.send({ type: 'collect', expected: total, timeoutMs: 60_000 });
    const { samples, failed } = await child.next('samples');
    const measured = samples.filter(([at]) => at >= measureFrom).map(([, latency]) => latency);
    const latency = summarise(measured);
    // p50 per second of arrivals: a rising series means the worker falls behind (queueing), a flat one is pipeline latency.
    const bySecond: number[][] = [];
    for (const [at, ms] of samples) {
      if (at >= measureFrom) (bySecond[Math.floor((at - measureFrom) / 1000)] ??= []).push(ms);
    }
    const p50BySecond = Array.from(bySecond, (v) => summarise(v ?? []).p50_ms);
    const peak = await stopChild(child);
    log(`${variant}: ${measured.length} runs at ${achievedRate}/s: enqueue→completed p50 ${latency.p50_ms} ms, p99 ${latency.p99_ms} ms (max ${latency.max_ms}; failed events ${failed}); p50 by second ${p50BySecond.join(', ')}`);
    let check: Check | null = null;
    if (CHECKED.has(kind)) {
      check = await exactlyOnceCheck(variant, kind, dbUrl, total);
      log(`${variant}: exactly-once ${check.pass ? 'PASS' : 'FAIL'} (vendor calls ${check.vendor_calls}, events ${check.events}, expected ${total})`);
    }
    return { variant, kind, rate_target: env.BENCH_IDLE_RATE, rate_achieved: achievedRate, enqueued: total, warmup, completed: samples.length, failed, latency, p50_by_second_ms: p50BySecond, peak_rss_mb: peak, baseline_rss_mb, check };
  });
}

// ---------------------------------------------------------------------------- main

function runsOf(variant: Variant): number {
  if (variant === 'fleet-duplicates') return env.BENCH_DUPLICATES_N || env.BENCH_N;
  if (variant === 'fleet-rss') return env.BENCH_RSS_N;
  return env.BENCH_N;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(`${ROOT}node_modules/${name}/package.json`, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

async function machine(): Promise<BenchReport['machine']> {
  const cpus = os.cpus();
  const info = await redis.info('server');
  const [pg] = await admin<{ server_version: string }[]>`show server_version`;
  return {
    cpus: cpus.length,
    cpu_model: cpus[0]?.model.trim() ?? 'unknown',
    total_mem_mb: Math.round(os.totalmem() / 2 ** 20),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    bullmq: packageVersion('bullmq'),
    ioredis: packageVersion('ioredis'),
    postgres_js: packageVersion('postgres'),
    pino: packageVersion('pino'),
    zod: packageVersion('zod'),
    graphile_worker: packageVersion('graphile-worker'),
    redis_server: /redis_version:(\S+)/.exec(info)?.[1] ?? 'unknown',
    postgres_server: pg?.server_version ?? 'unknown',
  };
}

async function main(): Promise<void> {
  process.on('SIGINT', () => {
    interrupted = true;
    log('interrupted: stopping the worker child and cleaning up');
    currentChild?.kill('SIGKILL');
  });
  await sweepStaleDatabases();
  emulateAutoanalyze = AUTOANALYZE_EVERY_MS > 0 && !(await serverRunsAutovacuum(admin));
  if (emulateAutoanalyze) log(`PostgreSQL runs with autovacuum = off: each variant's database is analyzed as autovacuum would (every ${AUTOANALYZE_EVERY_MS} ms, past its default thresholds)`);
  childScript = (await buildWorkerChild()).file;
  if (variants.some((v) => BASELINE_VARIANTS.has(v))) {
    const baseline = await buildWorkerChild(env.BENCH_BASELINE);
    baselineScript = baseline.file;
    baselineCommit = baseline.commit;
    log(`*-baseline variants run the runtime of ${env.BENCH_BASELINE} (${baseline.commit})`);
  }
  vendor = await startVendorStandin();
  const report: BenchReport = {
    date: new Date().toISOString(),
    machine: await machine(),
    config: {
      n: env.BENCH_N,
      warmup: env.BENCH_WARMUP,
      rss_n: env.BENCH_RSS_N,
      concurrency: env.BENCH_CONCURRENCY,
      pg_pool: poolMax,
      redis_connections: '1 shared ioredis connection (+ the blocking duplicate BullMQ opens)',
      deliveries: env.BENCH_DELIVERIES,
      duplicates_n: env.BENCH_DUPLICATES_N || env.BENCH_N,
      idle_rate: env.BENCH_IDLE_RATE,
      idle_seconds: env.BENCH_IDLE_SECONDS,
      idle_warmup_seconds: env.BENCH_IDLE_WARMUP_SECONDS,
      log_level: 'warn',
      autoanalyze: emulateAutoanalyze
        ? `emulated every ${AUTOANALYZE_EVERY_MS} ms (the server runs without autovacuum)`
        : AUTOANALYZE_EVERY_MS === 0 ? 'not refreshed (--autoanalyze-every-ms=0)' : 'the server\'s autovacuum',
      variants: [...variants],
      baseline: baselineCommit ? `${env.BENCH_BASELINE} (${baselineCommit})` : null,
    },
    throughput: [],
    idle: [],
  };
  const m = report.machine;
  log(`${m.cpus} × ${m.cpu_model}, ${m.total_mem_mb} MB, ${m.os}; node ${m.node}, bullmq ${m.bullmq}, ioredis ${m.ioredis}, postgres.js ${m.postgres_js}, redis ${m.redis_server}, PostgreSQL ${m.postgres_server}`);
  log(`N=${env.BENCH_N}, concurrency=${env.BENCH_CONCURRENCY}, pg pool=${poolMax}, variants=${variants.join(',')}`);

  for (const variant of variants) {
    if (interrupted) break;
    if (variant === 'voice') report.voice = await withResources(async (own) => {
      const { dbUrl, prefix } = await ownDatabaseAndPrefix(own, 'fleet');
      return voiceVariant({ dbUrl, prefix, redisUrl: env.BENCH_REDIS_URL, vendorUrl: vendor!.url, calls: env.BENCH_VOICE_CALLS, log });
    });
    else if (variant === 'fairness') {
      report.fairness = await withResources(async (own) =>
        fairnessVariant({
          resources: () => ownDatabaseAndPrefix(own, 'fleet'),
          redisUrl: env.BENCH_REDIS_URL,
          n: env.BENCH_FAIRNESS_N,
          intervalMs: env.BENCH_FAIRNESS_INTERVAL_MS,
          vendorMs: env.BENCH_FAIRNESS_VENDOR_MS,
          submitters: 16,
          log,
        }),
      );
    } else if (variant === 'fair-share-designs') {
      report.fairShareDesigns = await withResources(async (own) =>
        fairShareDesignsVariant({
          redis,
          newPrefix: () => {
            const prefix = newPrefix();
            own.prefixes.push(prefix);
            return prefix;
          },
          n: env.BENCH_N,
          log,
        }),
      );
    } else if (variant === 'storage') {
      report.storage = await withResources(async (own) => {
        const { dbUrl, prefix } = await ownDatabaseAndPrefix(own, 'fleet');
        return storageVariant({ dbUrl, prefix, redisUrl: env.BENCH_REDIS_URL, n: env.BENCH_STORAGE_N, ratePerS: env.BENCH_STORAGE_RATE, log });
      });
    } else if (variant === 'intake-duplicates') report.intake = await intakeDuplicatesVariant();
    else if (variant.startsWith('idle-')) report.idle.push(await idleVariant(variant));
    else report.throughput.push(await throughputVariant(variant, runsOf(variant)));
  }
  if (interrupted) throw new Error('interrupted');

  report.ratios = deriveRatios(report);
  mkdirSync(RESULTS_DIR, { recursive: true });
  const markdown = renderMarkdown(report);
  mkdirSync(HISTORY_DIR, { recursive: true });
  const dated = `history/${report.date.slice(0, 16).replace(':', '')}Z-${env.BENCH_LABEL}`;
  for (const base of [env.BENCH_OUT, dated]) {
    writeFileSync(`${RESULTS_DIR}${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
    writeFileSync(`${RESULTS_DIR}${base}.md`, markdown);
  }
  console.log(`\n${markdown}`);
  log(`wrote bench/results/${env.BENCH_OUT}.{json,md} and bench/results/${dated}.{json,md}`);
  const failedChecks = [...report.throughput, ...report.idle, ...(report.intake ? [report.intake] : [])].filter((r) => r.check && !r.check.pass);
  if (failedChecks.length > 0) {
    log(`exactly-once FAILED for ${failedChecks.map((r) => r.variant).join(', ')}`);
    process.exitCode = 1;
  }
}

main()
  .catch((error: unknown) => {
    console.error(`[bench] failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    process.exitCode = 1;
  })
  .finally(async () => {
    await vendor?.close().catch(() => {});
    await redis.quit().catch(() => {});
    await admin.end({ timeout: 5 }).catch(() => {});
  });
