/**
 * The benchmark's settings, read once at start. Each can be given as an
 * environment variable (`BENCH_N=2000`) or an argument (`npm run bench -- --n=2000`);
 * an argument wins. A bad value stops the run with the setting's name and the rule it broke.
 */
import { existsSync } from 'node:fs';
import { z } from 'zod';

export const VARIANTS = [
  'raw-noop',
  'raw-insert',
  'raw-effect',
  'graphile-worker-effect',
  'fleet',
  'fleet-pgbouncer',
  'fleet-duplicates',
  'intake-duplicates',
  'idle-raw-noop',
  'idle-raw-effect',
  'idle-fleet',
  'voice',
  'fleet-rss',
  'fleet-baseline',
  'idle-fleet-baseline',
  'fleet-fifo',
  'fleet-paced',
  'fairness',
  'fair-share-designs',
  'storage',
] as const;
export type Variant = (typeof VARIANTS)[number];
/** Variants whose worker child is built from the runtime at BENCH_BASELINE (before/after in one run). */
export const BASELINE_VARIANTS: ReadonlySet<Variant> = new Set(['fleet-baseline', 'idle-fleet-baseline']);
/** Debian's PgBouncer, which `fleet-pgbouncer` starts (scripts/ensure-topology-tools.sh installs it). */
export const PGBOUNCER_BINARY = '/usr/sbin/pgbouncer';
/**
 * Without --variants: everything but the baselines, and `fleet-pgbouncer` only where PgBouncer is
 * installed (named in --variants without it, the variant stops the run saying what to install).
 * What fair share and pacing cost (issue 27, item 6) is a few per cent, less than the difference between
 * the first and the second of two back-to-back variants on this machine, so `fleet-fifo` and
 * `fleet-paced` run A B B A and the report takes each one's median.
 */
/** Runs right after `fleet`, so fair share's and pacing's costs are measured A B B A. */
const AB_BA: readonly Variant[] = ['fleet-fifo', 'fleet-paced', 'fleet-paced', 'fleet-fifo'];
const DEFAULT_ORDER: readonly Variant[] = VARIANTS.filter((v) => !BASELINE_VARIANTS.has(v) && !AB_BA.includes(v)).flatMap((v) => (v === 'fleet' ? [v, ...AB_BA] : [v]));
export const DEFAULT_VARIANTS: readonly Variant[] = DEFAULT_ORDER.filter((v) => v !== 'fleet-pgbouncer' || existsSync(PGBOUNCER_BINARY));

const BenchEnv = z.object({
  /** Runs per throughput variant (fresh envelopes). */
  BENCH_N: z.coerce.number().int().min(100).default(20_000),
  /** Jobs each throughput worker finishes before the clock starts (start-up and warm-up excluded); added to N. */
  BENCH_WARMUP: z.coerce.number().int().min(0).default(1_000),
  /** `fairness`: texts practice A submits at once (B texts every BENCH_FAIRNESS_INTERVAL_MS meanwhile). */
  BENCH_FAIRNESS_N: z.coerce.number().int().min(100).default(20_000),
  BENCH_FAIRNESS_INTERVAL_MS: z.coerce.number().int().min(10).default(250),
  /** `fairness`: how long the vendor stand-in takes to answer each send. */
  BENCH_FAIRNESS_VENDOR_MS: z.coerce.number().int().min(0).default(100),
  /** `storage`: texts submitted through the API, and at what steady rate (texts per second). */
  BENCH_STORAGE_N: z.coerce.number().int().min(100).default(6_000),
  BENCH_STORAGE_RATE: z.coerce.number().int().min(1).max(2_000).default(100),
  /**
   * Where the server runs without autovacuum: how often the bench analyzes each variant's database as
   * autovacuum would (autoanalyze.ts); 0 = never (the server's statistics as they are).
   */
  BENCH_AUTOANALYZE_EVERY_MS: z.coerce.number().int().min(0).default(60_000),
  /** Jobs in flight in the worker, for every variant. */
  BENCH_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(50),
  /** PostgreSQL connections of the worker child, the same for every variant; 0 means min(concurrency, 50). */
  BENCH_POOL: z.coerce.number().int().min(0).max(200).default(0),
  /** Comma-separated subset of the variants, in the order given; DEFAULT_VARIANTS when empty. */
  BENCH_VARIANTS: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(VARIANTS))),
  /** Deliveries of each envelope in fleet-duplicates (the first is the fresh run). */
  BENCH_DELIVERIES: z.coerce.number().int().min(2).max(50).default(10),
  /** Envelopes in fleet-duplicates and intake-duplicates; 0 means BENCH_N. 5,000 × 9 redeliveries keeps the whole run under 10 minutes. */
  BENCH_DUPLICATES_N: z.coerce.number().int().min(0).default(5_000),
  /** fleet-rss: runs of its one long worker; its peak RSS is sampled every BENCH_N runs (flat or not). */
  BENCH_RSS_N: z.coerce.number().int().min(200).default(100_000),
  /** Idle-latency phase: arrival rate (runs/s) and how long it is measured, after the warm-up. */
  BENCH_IDLE_RATE: z.coerce.number().positive().max(2000).default(200),
  BENCH_IDLE_SECONDS: z.coerce.number().positive().max(120).default(5),
  BENCH_IDLE_WARMUP_SECONDS: z.coerce.number().min(0).max(30).default(1),
  /** voice: calls measured at each concurrency level (1, 50 and 100). */
  BENCH_VOICE_CALLS: z.coerce.number().int().min(50).max(20_000).default(500),
  /** fleet-rss: force a full GC at each checkpoint and report the live heap (leak check; flattens RSS). */
  BENCH_RSS_GC: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),
  /** Extra node flags for every worker child, space-separated (e.g. `--max-semi-space-size=32`). */
  BENCH_CHILD_NODE_FLAGS: z
    .string()
    .default('')
    .transform((s) => s.split(/\s+/).filter(Boolean))
    .pipe(z.array(z.string().regex(/^--[a-z0-9-]+(=[A-Za-z0-9._-]+)?$/, 'node flags such as --max-semi-space-size=32'))),
  /** Git ref whose packages/ the *-baseline variants' worker child is built from. */
  BENCH_BASELINE: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._/~^-]*$/, 'a git ref (branch, tag or commit)').default('main'),
  /** Run the worker child of these variants under `node --cpu-prof` (comma-separated; e.g. `fleet`). */
  BENCH_PROFILE: z
    .string()
    .default('')
    .transform((s) => s.split(',').map((v) => v.trim()).filter(Boolean))
    .pipe(z.array(z.enum(VARIANTS))),
  /** The fleet's effect as for a vendor that dedupes by our token (the PMS), or not (SMS: an intent row first). */
  BENCH_VENDOR_DEDUPES: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** Basename of the result files in bench/results/ (`latest` → latest.json and latest.md). */
  BENCH_OUT: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).default('latest'),
  /** Every run is also kept as bench/results/history/<UTC date and time>-<label>.{json,md}. */
  BENCH_LABEL: z.string().regex(/^[a-z0-9][a-z0-9._-]*$/).default('bench'),
  /** Redis, and the PostgreSQL server without a database (bench databases are created beside it). */
  BENCH_REDIS_URL: z.string().url().default('redis://127.0.0.1:6379'),
  BENCH_PG_URL: z.string().url().default('postgres://postgres@127.0.0.1:5432'),
});
export type BenchEnv = z.infer<typeof BenchEnv>;

/** `--n=2000 --variants=fleet` → `{ BENCH_N: '2000', BENCH_VARIANTS: 'fleet' }`. */
function fromArgv(argv: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const arg of argv) {
    const match = /^--([a-z][a-z0-9-]*)=(.*)$/.exec(arg);
    if (!match) throw new Error(`bench: unrecognised argument ${arg} (use --name=value, e.g. --n=2000)`);
    out[`BENCH_${match[1]!.toUpperCase().replaceAll('-', '_')}`] = match[2]!;
  }
  return out;
}

export function loadEnv(argv: readonly string[] = process.argv.slice(2)): BenchEnv {
  const raw: Record<string, string | undefined> = {};
  for (const key of Object.keys(BenchEnv.shape)) raw[key] = process.env[key];
  const parsed = BenchEnv.safeParse({ ...raw, ...fromArgv(argv) });
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    console.error(`bench: bad settings\n${lines.join('\n')}`);
    process.exit(78);
  }
  return parsed.data;
}
