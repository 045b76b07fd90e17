/** The bench's result file (JSON) and its markdown table. */
import { round, type LatencySummary, type PhaseResult, type WorkerKind } from './shared.js';
import type { IntakePass } from './intake.js';
import { renderVoice, type VoiceResult } from './voice.js';
import { renderFairness, type FairnessResult } from './fairness.js';
import { renderStorage, STORAGE_TARGET_BYTES_PER_TEXT, type StorageResult } from './storage.js';
import { renderFairShareDesigns, type FairShareDesignsResult } from './fair-share-designs.js';

export interface Check {
  variant: string;
  expected: number;
  vendor_calls: number;
  distinct_tokens: number;
  events: number;
  /** Distinct idempotency keys among the ok runs (fleet) or the event rows (comparators). */
  distinct_runs: number;
  /** Fleet only: completed effects and ok runs. */
  effects: number | null;
  ok_runs: number | null;
  pass: boolean;
}

export interface ThroughputResult {
  variant: string;
  kind: WorkerKind;
  /** `fresh`, and for fleet-duplicates also `duplicates` (the extra deliveries, drained by a second worker). */
  phases: PhaseResult[];
  peak_rss_mb: number;
  /** RSS of the child after its imports and pool warm-up, before the worker starts. */
  baseline_rss_mb: number;
  check: Check | null;
  /** Transactions committed in the variant's database per job (warm-up and set-up included). */
  db_commits_per_job: number;
}

export interface IdleResult {
  variant: string;
  kind: WorkerKind;
  rate_target: number;
  rate_achieved: number;
  enqueued: number;
  warmup: number;
  completed: number;
  failed: number;
  /** Enqueue (producer's Date.now) → the worker's `completed` event (child's Date.now), excluding the warm-up. */
  latency: LatencySummary;
  /** p50 of the runs enqueued in each second: rising means the worker falls behind. */
  p50_by_second_ms: number[];
  peak_rss_mb: number;
  baseline_rss_mb: number;
  check: Check | null;
}

/**
 * `intake-duplicates`: the same bodies through the producer's intake, once fresh (then drained by a
 * fleet worker), then `copies` more times, each absorbed at intake (the producer's repeat cache, else
 * the accepted_runs row).
 */
export interface IntakeDuplicatesResult {
  variant: 'intake-duplicates';
  /** Bodies submitted fresh (warm-up included). */
  envelopes: number;
  copies: number;
  fresh_intake: IntakePass;
  /** The fresh runs through a fleet worker child (timed after the warm-up). */
  worker: PhaseResult;
  duplicates: IntakePass;
  /** Jobs in the queue before and after the repeats: equal when intake absorbed them all. */
  jobs_before: number;
  jobs_after: number;
  /** Repeats answered 200 "duplicate" naming the first run's id. */
  absorbed: number;
  /** The fleet's exactly-once check, failed as well when a repeat was not absorbed at intake. */
  check: Check;
}

export interface Ratios {
  /** Issue 27, 1: fleet / the faster of raw-effect and graphile-worker-effect (runs/s). */
  fleet_over_best_peer: number | null;
  best_peer: string | null;
  /** Issue 27, 2: fleet-rss (one backlog of BENCH_RSS_N) / fleet (BENCH_N), runs/s. */
  fleet_rss_over_fleet: number | null;
  /** Issue 27, 4: a voice turn's overhead p99 at 50 and at 100 calls at once. */
  voice_overhead_p99_at_50_ms: number | null;
  voice_overhead_p99_at_100_ms: number | null;
  /** Issue 27, 5: bytes each further text costs the database (storage variant). */
  storage_bytes_per_text: number | null;
  /** Issue 27, 6: fleet-paced (fair share and pacing) / fleet-fifo (neither); and pacing alone: fleet-paced / fleet. */
  fleet_paced_over_fleet_fifo: number | null;
  fleet_paced_over_fleet: number | null;
  fleet_over_raw_effect: number | null;
  fleet_over_graphile_worker_effect: number | null;
  graphile_worker_effect_over_raw_effect: number | null;
  fleet_over_raw_insert: number | null;
  fleet_over_raw_noop: number | null;
  /** Before/after: this tree's fleet over the baseline ref's, same run. */
  fleet_over_fleet_baseline: number | null;
  /** fleet (fair-share priorities) / fleet-fifo (the plain lane): what fair share costs the worker. */
  fleet_over_fleet_fifo: number | null;
  /** fleet-pgbouncer (the worker's DATABASE_URL through PgBouncer in transaction mode, unprepared statements) / fleet (direct). */
  fleet_pgbouncer_over_fleet: number | null;
  idle_p99_fleet_minus_fleet_baseline_ms: number | null;
  idle_p99_fleet_minus_raw_effect_ms: number | null;
  idle_p99_fleet_minus_raw_noop_ms: number | null;
  /** (time per extra delivery of a completed run) / (time per fresh run), both from the fleet-duplicates child. */
  duplicate_cost_fraction: number | null;
  /**
   * A repeated delivery absorbed at intake / a fresh run through intake and the worker (time per
   * run at the bench's concurrency), and the same by CPU (bench process for intake + worker child).
   */
  intake_duplicate_cost_fraction: number | null;
  intake_duplicate_cpu_fraction: number | null;
  /** Highest peak RSS of any fleet throughput worker (fleet, fleet-duplicates, fleet-rss). */
  fleet_peak_rss_mb: number | null;
  /** fleet-rss: peak RSS after the first BENCH_N runs and after all BENCH_RSS_N, same worker. */
  rss_at_n_mb: number | null;
  rss_at_rss_n_mb: number | null;
  rss_growth_fraction: number | null;
}

export interface BenchReport {
  date: string;
  machine: {
    cpus: number;
    cpu_model: string;
    total_mem_mb: number;
    os: string;
    node: string;
    bullmq: string;
    ioredis: string;
    postgres_js: string;
    pino: string;
    zod: string;
    graphile_worker: string;
    redis_server: string;
    postgres_server: string;
  };
  config: {
    n: number;
    warmup: number;
    rss_n: number;
    concurrency: number;
    pg_pool: number;
    redis_connections: string;
    deliveries: number;
    duplicates_n: number;
    idle_rate: number;
    idle_seconds: number;
    idle_warmup_seconds: number;
    log_level: string;
    /** Who keeps the planner's statistics fresh: the server's autovacuum, or the bench standing in for it. */
    autoanalyze?: string;
    variants: string[];
    /** The ref (and commit) the *-baseline variants' runtime was built from, when they ran. */
    baseline: string | null;
  };
  throughput: ThroughputResult[];
  idle: IdleResult[];
  /** The `intake-duplicates` variant, when it ran. */
  intake?: IntakeDuplicatesResult;
  /** The `voice` variant, when it ran. */
  voice?: VoiceResult;
  fairness?: FairnessResult;
  storage?: StorageResult;
  fairShareDesigns?: FairShareDesignsResult;
  ratios?: Ratios;
}

/** Issue 27's targets (same run, quiet machine). */
export const ISSUE27_TARGETS = {
  fleet_over_best_peer: 1.0,
  fleet_rss_over_fleet: 0.9,
  idle_p99_over_best_peer_ms: 3,
  voice_overhead_p99_ms: 250,
  storage_bytes_per_text: STORAGE_TARGET_BYTES_PER_TEXT,
  fairness_and_pacing_cost: 0.95,
} as const;

/** Issue 14's targets (same run, quiet machine). */
export const TARGETS = {
  fleet_over_raw_effect: 0.8,
  fleet_over_graphile_worker_effect: 1.5,
  duplicate_cost_fraction: 0.1,
  idle_p99_over_raw_effect_ms: 3,
  fleet_peak_rss_mb: 200,
  /** "Flat": the peak after BENCH_RSS_N runs at most this much above the peak after BENCH_N. */
  rss_growth_fraction: 0.1,
} as const;

export const runsPerSecond = (p: PhaseResult): number => round((p.completed / p.elapsed_ms) * 1000, 1);

function phase(report: BenchReport, variant: string, name: string): PhaseResult | undefined {
  return report.throughput.find((t) => t.variant === variant)?.phases.find((p) => p.name === name);
}

/**
 * A variant's runs/s: the median of its fresh phases when the run lists it more than once (the default
 * list runs fleet-fifo and fleet-paced A B B A, since on this machine the one that runs first is slower).
 */
export function medianRate(report: BenchReport, variant: string): number | null {
  const rates = report.throughput
    .filter((t) => t.variant === variant)
    .flatMap((t) => t.phases.filter((p) => p.name === 'fresh').map(runsPerSecond))
    .sort((a, b) => a - b);
  if (rates.length === 0) return null;
  const mid = Math.floor(rates.length / 2);
  return rates.length % 2 === 1 ? rates[mid]! : (rates[mid - 1]! + rates[mid]!) / 2;
}

export function deriveRatios(report: BenchReport): Ratios {
  const dupFresh = phase(report, 'fleet-duplicates', 'fresh');
  const dups = phase(report, 'fleet-duplicates', 'duplicates');
  const idle = (variant: string) => report.idle.find((r) => r.variant === variant);
  const idleFleet = idle('idle-fleet');
  const p99Minus = (other: IdleResult | undefined) => (idleFleet && other ? round(idleFleet.latency.p99_ms - other.latency.p99_ms) : null);
  const ratio = (a: string, b: string) => {
    const [x, y] = [medianRate(report, a), medianRate(report, b)];
    return x !== null && y !== null ? round(x / y, 3) : null;
  };
  const peers = (['raw-effect', 'graphile-worker-effect'] as const).flatMap((v) => {
    const r = medianRate(report, v);
    return r === null ? [] : [{ variant: v, rate: r }];
  });
  const best = peers.length > 0 ? peers.reduce((a, b) => (b.rate > a.rate ? b : a)) : null;
  const fleetRate = medianRate(report, 'fleet');
  const voiceAt = (calls: number) => report.voice?.levels.find((l) => l.concurrency === calls)?.overhead.p99_ms ?? null;
  const fleetPeaks = report.throughput.filter((t) => t.kind === 'fleet' && !t.variant.endsWith('-baseline')).map((t) => t.peak_rss_mb);
  const scan = phase(report, 'fleet-rss', 'fresh')?.rss_checkpoints ?? [];
  const first = scan[0]?.[1] ?? null;
  const last = scan.length > 1 ? scan[scan.length - 1]![1] : null;
  return {
    fleet_over_best_peer: best && fleetRate !== null ? round(fleetRate / best.rate, 3) : null,
    best_peer: best?.variant ?? null,
    fleet_rss_over_fleet: ratio('fleet-rss', 'fleet'),
    voice_overhead_p99_at_50_ms: voiceAt(50),
    voice_overhead_p99_at_100_ms: voiceAt(100),
    storage_bytes_per_text: report.storage?.bytes_per_text ?? null,
    fleet_paced_over_fleet_fifo: ratio('fleet-paced', 'fleet-fifo'),
    fleet_paced_over_fleet: ratio('fleet-paced', 'fleet'),
    fleet_over_raw_effect: ratio('fleet', 'raw-effect'),
    fleet_over_graphile_worker_effect: ratio('fleet', 'graphile-worker-effect'),
    graphile_worker_effect_over_raw_effect: ratio('graphile-worker-effect', 'raw-effect'),
    fleet_over_raw_insert: ratio('fleet', 'raw-insert'),
    fleet_over_raw_noop: ratio('fleet', 'raw-noop'),
    fleet_over_fleet_baseline: ratio('fleet', 'fleet-baseline'),
    fleet_over_fleet_fifo: ratio('fleet', 'fleet-fifo'),
    fleet_pgbouncer_over_fleet: ratio('fleet-pgbouncer', 'fleet'),
    idle_p99_fleet_minus_fleet_baseline_ms: p99Minus(idle('idle-fleet-baseline')),
    idle_p99_fleet_minus_raw_effect_ms: p99Minus(idle('idle-raw-effect')),
    idle_p99_fleet_minus_raw_noop_ms: p99Minus(idle('idle-raw-noop')),
    duplicate_cost_fraction:
      dups && dupFresh && dups.completed > 0 ? round(dups.elapsed_ms / dups.completed / (dupFresh.elapsed_ms / dupFresh.completed), 3) : null,
    ...intakeDuplicateFractions(report.intake),
    fleet_peak_rss_mb: fleetPeaks.length > 0 ? Math.max(...fleetPeaks) : null,
    rss_at_n_mb: first,
    rss_at_rss_n_mb: last,
    rss_growth_fraction: first !== null && last !== null ? round((last - first) / first, 3) : null,
  };
}

function intakeDuplicateFractions(i: IntakeDuplicatesResult | undefined): Pick<Ratios, 'intake_duplicate_cost_fraction' | 'intake_duplicate_cpu_fraction'> {
  if (!i || i.worker.completed === 0) return { intake_duplicate_cost_fraction: null, intake_duplicate_cpu_fraction: null };
  const freshMs = i.fresh_intake.ms_per_submission + i.worker.elapsed_ms / i.worker.completed;
  const freshCpu = i.worker.cpu_ms_per_run === null ? null : i.fresh_intake.cpu_ms_per_submission + i.worker.cpu_ms_per_run;
  return {
    intake_duplicate_cost_fraction: round(i.duplicates.ms_per_submission / freshMs, 3),
    intake_duplicate_cpu_fraction: freshCpu === null ? null : round(i.duplicates.cpu_ms_per_submission / freshCpu, 3),
  };
}

const fmt = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits));
const verdict = (ok: boolean | null): string => (ok === null ? 'not measured' : ok ? 'PASS' : 'FAIL');
const atLeast = (x: number | null, min: number) => (x === null ? null : x >= min);
const atMost = (x: number | null, max: number) => (x === null ? null : x <= max);

/** Issue 27's six targets with PASS/FAIL, each with the figures it is computed from. */
function renderIssue27Targets(report: BenchReport, r: Ratios): string[] {
  const t = ISSUE27_TARGETS;
  const rate = (variant: string) => fmt(medianRate(report, variant), 0);
  const idleP99 = (variant: string) => fmt(report.idle.find((i) => i.variant === variant)?.latency.p99_ms);
  const lines = ['## Targets (issue 27)', '', '| # | measure | figures | value | target | |', '|---|---|---|---:|---:|---|'];
  const row = (n: number, measure: string, figures: string, value: string, target: string, ok: boolean | null) =>
    lines.push(`| ${n} | ${measure} | ${figures} | ${value} | ${target} | ${verdict(ok)} |`);
  row(
    1,
    'fleet / the faster peer (runs/s)',
    `fleet ${rate('fleet')}; raw-effect ${rate('raw-effect')}, graphile-worker-effect ${rate('graphile-worker-effect')}`,
    `${fmt(r.fleet_over_best_peer, 3)}${r.best_peer ? ` (vs ${r.best_peer})` : ''}`,
    `≥ ${t.fleet_over_best_peer.toFixed(1)}`,
    atLeast(r.fleet_over_best_peer, t.fleet_over_best_peer),
  );
  row(
    2,
    `a deep backlog: fleet-rss (${report.config.rss_n}) / fleet (${report.config.n}), runs/s`,
    `fleet-rss ${rate('fleet-rss')}, fleet ${rate('fleet')}`,
    fmt(r.fleet_rss_over_fleet, 3),
    `≥ ${t.fleet_rss_over_fleet}`,
    atLeast(r.fleet_rss_over_fleet, t.fleet_rss_over_fleet),
  );
  row(
    3,
    `idle p99 at ${report.config.idle_rate} runs/s: fleet − the best peer measured idle (ms)`,
    `fleet ${idleP99('idle-fleet')}, raw-effect ${idleP99('idle-raw-effect')} (graphile-worker is not measured idle)`,
    fmt(r.idle_p99_fleet_minus_raw_effect_ms),
    `≤ ${t.idle_p99_over_best_peer_ms}`,
    atMost(r.idle_p99_fleet_minus_raw_effect_ms, t.idle_p99_over_best_peer_ms),
  );
  row(
    4,
    'a voice turn\'s overhead p99 at 50 calls at once (ms)',
    `at 100 calls: ${fmt(r.voice_overhead_p99_at_100_ms)} ms`,
    fmt(r.voice_overhead_p99_at_50_ms),
    `≤ ${t.voice_overhead_p99_ms}`,
    atMost(r.voice_overhead_p99_at_50_ms, t.voice_overhead_p99_ms),
  );
  row(
    5,
    'storage per text kept (B)',
    report.storage ? `${report.storage.texts} texts at ${report.storage.rate_per_s}/s; as first written ${report.storage.as_written_bytes_per_text} B` : '–',
    fmt(r.storage_bytes_per_text, 0),
    `≤ ${t.storage_bytes_per_text}`,
    atMost(r.storage_bytes_per_text, t.storage_bytes_per_text),
  );
  row(
    6,
    'fair share and pacing: fleet-paced (both) / fleet-fifo (neither), runs/s',
    `fleet-paced ${rate('fleet-paced')}, fleet-fifo ${rate('fleet-fifo')}; fair share alone (fleet / fleet-fifo) ${fmt(r.fleet_over_fleet_fifo, 3)}, pacing alone (fleet-paced / fleet) ${fmt(r.fleet_paced_over_fleet, 3)}`,
    fmt(r.fleet_paced_over_fleet_fifo, 3),
    `≥ ${t.fairness_and_pacing_cost}`,
    atLeast(r.fleet_paced_over_fleet_fifo, t.fairness_and_pacing_cost),
  );
  const repeated = [...new Set(report.config.variants)].filter((v) => report.config.variants.filter((x) => x === v).length > 1);
  if (repeated.length > 0) lines.push('', `Variants run more than once (${repeated.join(', ')}): their median runs/s.`);
  lines.push('');
  return lines;
}

/** Every variant's runs/s, the ratios between them and issue 14's targets with PASS/FAIL. */
function renderTargets(report: BenchReport, r: Ratios): string[] {
  const t = TARGETS;
  const rate = (variant: string) => fmt(medianRate(report, variant), 0);
  const idleP99 = (variant: string) => fmt(report.idle.find((i) => i.variant === variant)?.latency.p99_ms);
  const lines = ['## Earlier targets (issue 14)', ''];
  lines.push(
    `runs/s: raw-noop ${rate('raw-noop')}, raw-insert ${rate('raw-insert')}, raw-effect ${rate('raw-effect')}, ` +
      `graphile-worker-effect ${rate('graphile-worker-effect')}, fleet ${rate('fleet')}. ` +
      `Idle p99 (ms): raw-noop ${idleP99('idle-raw-noop')}, raw-effect ${idleP99('idle-raw-effect')}, fleet ${idleP99('idle-fleet')}.`,
    '',
  );
  lines.push('| measure | value | target | |', '|---|---:|---:|---|');
  const row = (measure: string, value: string, target: string, ok: boolean | null) => lines.push(`| ${measure} | ${value} | ${target} | ${verdict(ok)} |`);
  row('fleet / raw-effect (runs/s)', fmt(r.fleet_over_raw_effect, 3), `≥ ${t.fleet_over_raw_effect}`, atLeast(r.fleet_over_raw_effect, t.fleet_over_raw_effect));
  row(
    'fleet / graphile-worker-effect (runs/s)',
    fmt(r.fleet_over_graphile_worker_effect, 3),
    `≥ ${t.fleet_over_graphile_worker_effect}`,
    atLeast(r.fleet_over_graphile_worker_effect, t.fleet_over_graphile_worker_effect),
  );
  row(
    'duplicate delivery (the user\'s case: a webhook sent twice, a producer retry), absorbed at intake / fresh run through intake + worker (time)',
    fmt(r.intake_duplicate_cost_fraction, 3),
    `≤ ${t.duplicate_cost_fraction}`,
    atMost(r.intake_duplicate_cost_fraction, t.duplicate_cost_fraction),
  );
  row(
    'redelivery of a completed run to a worker (a stalled job; bound by BullMQ\'s own per-job cost, floor ≈ fleet / raw-noop) / fresh run (time)',
    fmt(r.duplicate_cost_fraction, 3),
    `≤ ${t.duplicate_cost_fraction}`,
    atMost(r.duplicate_cost_fraction, t.duplicate_cost_fraction),
  );
  row(
    `idle p99 at ${report.config.idle_rate} runs/s: fleet − raw-effect (ms)`,
    fmt(r.idle_p99_fleet_minus_raw_effect_ms),
    `≤ ${t.idle_p99_over_raw_effect_ms}`,
    atMost(r.idle_p99_fleet_minus_raw_effect_ms, t.idle_p99_over_raw_effect_ms),
  );
  row('fair share\'s cost: fleet / fleet-fifo (runs/s)', fmt(r.fleet_over_fleet_fifo, 3), '≥ 0.95', atLeast(r.fleet_over_fleet_fifo, 0.95));
  row('fleet worker peak RSS (MB)', fmt(r.fleet_peak_rss_mb), `< ${t.fleet_peak_rss_mb}`, r.fleet_peak_rss_mb === null ? null : r.fleet_peak_rss_mb < t.fleet_peak_rss_mb);
  row(
    `fleet RSS flat: peak after ${report.config.rss_n} runs vs after ${report.config.n} (MB)`,
    r.rss_at_n_mb === null || r.rss_at_rss_n_mb === null ? '–' : `${fmt(r.rss_at_n_mb)} → ${fmt(r.rss_at_rss_n_mb)} (${fmt((r.rss_growth_fraction ?? 0) * 100)}%)`,
    `≤ +${t.rss_growth_fraction * 100}%`,
    atMost(r.rss_growth_fraction, t.rss_growth_fraction),
  );
  lines.push('', '| for reference | value |', '|---|---:|');
  lines.push(`| graphile-worker-effect / raw-effect (runs/s) | ${fmt(r.graphile_worker_effect_over_raw_effect, 3)} |`);
  lines.push(`| fleet / raw-insert (runs/s) | ${fmt(r.fleet_over_raw_insert, 3)} |`);
  lines.push(`| fleet / raw-noop (runs/s) | ${fmt(r.fleet_over_raw_noop, 3)} |`);
  lines.push(`| fleet-pgbouncer / fleet: the worker through PgBouncer in transaction mode / direct (runs/s) | ${fmt(r.fleet_pgbouncer_over_fleet, 3)} |`);
  lines.push(`| duplicate absorbed at intake / fresh run through intake + worker (CPU) | ${fmt(r.intake_duplicate_cpu_fraction, 3)} |`);
  lines.push(`| idle p99: fleet − raw-noop (ms) | ${fmt(r.idle_p99_fleet_minus_raw_noop_ms)} |`);
  if (report.config.baseline) {
    lines.push(`| before/after: fleet / fleet-baseline (runs/s; baseline ${report.config.baseline}) | ${fmt(r.fleet_over_fleet_baseline, 3)} |`);
    lines.push(`| before/after: idle p99 fleet − fleet-baseline (ms) | ${fmt(r.idle_p99_fleet_minus_fleet_baseline_ms)} |`);
  }
  lines.push('');
  return lines;
}

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const c = report.config;
  const r = report.ratios ?? deriveRatios(report);
  const lines: string[] = [];
  lines.push(`# Bench results — ${report.date}`, '');
  lines.push(
    `Machine: ${m.cpus} cores (${m.cpu_model}), ${m.total_mem_mb} MB, ${m.os}. Node ${m.node}, BullMQ ${m.bullmq}, ioredis ${m.ioredis}, ` +
      `postgres.js ${m.postgres_js}, pino ${m.pino}, zod ${m.zod}, graphile-worker ${m.graphile_worker}; Redis ${m.redis_server}, PostgreSQL ${m.postgres_server}.`,
    '',
    `N = ${c.n} timed runs per throughput variant after ${c.warmup} untimed warm-up runs (fleet-duplicates: ${c.duplicates_n} envelopes × ${c.deliveries} deliveries; ` +
      `fleet-rss: ${c.rss_n}), concurrency ${c.concurrency}, ` +
      `PostgreSQL pool ${c.pg_pool}, ${c.redis_connections}, fleet log level ${c.log_level}, statistics: ${c.autoanalyze ?? 'not recorded'}. ` +
      `Idle latency: ${c.idle_rate} runs/s for ${c.idle_seconds} s after a ${c.idle_warmup_seconds} s warm-up.`,
    '',
  );
  lines.push(...renderIssue27Targets(report, r));
  lines.push(...renderTargets(report, r));
  lines.push('## Throughput (queue pre-filled; from the end of the warm-up to the last completion)', '');
  lines.push('| variant | runs | time (s) | runs/s | worker CPU per run (ms) | DB commits per job | processing p50 (ms) | processing p99 (ms) | peak RSS (MB) | RSS before start (MB) | exactly-once |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const t of report.throughput) {
    for (const p of t.phases) {
      const label = t.phases.length > 1 ? `${t.variant} (${p.name === 'fresh' ? 'fresh runs' : `${c.deliveries - 1} extra deliveries each`})` : t.variant;
      const check = p.name === t.phases[t.phases.length - 1]!.name && t.check ? (t.check.pass ? 'PASS' : 'FAIL') : '';
      const timed = p.target - p.warmup;
      const incomplete = p.completed < timed ? ` (of ${timed}${p.timed_out ? ', timed out' : ''})` : '';
      lines.push(
        `| ${label} | ${p.completed}${incomplete} | ${fmt(p.elapsed_ms / 1000, 2)} | ${fmt(runsPerSecond(p), 0)} | ${fmt(p.cpu_ms_per_run, 3)} | ${p === t.phases[0] ? fmt(t.db_commits_per_job, 2) : '″'} | ${fmt(p.processing.p50_ms)} | ${fmt(p.processing.p99_ms)} | ` +
          `${p === t.phases[0] ? fmt(t.peak_rss_mb) : '″'} | ${p === t.phases[0] ? fmt(t.baseline_rss_mb) : '″'} | ${check} |`,
      );
    }
  }
  lines.push('', '"processing" is per job, from the worker\'s `active` event to its `completed` event, with the whole backlog waiting: it includes waiting for a pool connection.', '');
  if (report.idle.length > 0) {
    lines.push('## Idle latency (steady arrivals; enqueue → completed)', '');
    lines.push('| variant | rate (runs/s) | runs measured | p50 (ms) | p99 (ms) | max (ms) | peak RSS (MB) | exactly-once |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
    for (const i of report.idle) {
      lines.push(
        `| ${i.variant} | ${fmt(i.rate_achieved)} | ${i.latency.count} | ${fmt(i.latency.p50_ms)} | ${fmt(i.latency.p99_ms)} | ${fmt(i.latency.max_ms)} | ${fmt(i.peak_rss_mb)} | ${i.check ? (i.check.pass ? 'PASS' : 'FAIL') : ''} |`,
      );
    }
    lines.push('');
  }
  if (report.intake) lines.push(...renderIntake(report.intake));
  if (report.voice) lines.push(...renderVoice(report.voice));
  if (report.fairness) lines.push(...renderFairness(report.fairness));
  if (report.storage) lines.push(...renderStorage(report.storage));
  if (report.fairShareDesigns) lines.push(...renderFairShareDesigns(report.fairShareDesigns));
  const checks = [...report.throughput, ...report.idle, ...(report.intake ? [report.intake] : [])].flatMap((t) => (t.check ? [t.check] : []));
  if (checks.length > 0) {
    lines.push('', '## Exactly-once checks', '');
    lines.push('| variant | expected | vendor calls | distinct tokens | events | distinct runs | completed effects | ok runs | |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
    for (const k of checks) {
      lines.push(
        `| ${k.variant} | ${k.expected} | ${k.vendor_calls} | ${k.distinct_tokens} | ${k.events} | ${k.distinct_runs} | ${k.effects ?? '–'} | ${k.ok_runs ?? '–'} | ${k.pass ? 'PASS' : 'FAIL'} |`,
      );
    }
  }
  lines.push('');
  return lines.join('\n');
}

function renderIntake(i: IntakeDuplicatesResult): string[] {
  const perRun = i.worker.completed > 0 ? i.worker.elapsed_ms / i.worker.completed : null;
  return [
    '## Duplicates at intake (`intake-duplicates`: the producer\'s `submitRequest`, real PostgreSQL and Redis)',
    '',
    '| step | submissions or runs | time per one (ms) | CPU per one (ms) | answers |',
    '|---|---:|---:|---:|---|',
    `| fresh bodies through intake | ${i.fresh_intake.submissions} | ${fmt(i.fresh_intake.ms_per_submission, 3)} | ${fmt(i.fresh_intake.cpu_ms_per_submission, 3)} | ${JSON.stringify(i.fresh_intake.answers)} |`,
    `| their runs through a fleet worker (after the warm-up) | ${i.worker.completed} | ${fmt(perRun, 3)} | ${fmt(i.worker.cpu_ms_per_run, 3)} | |`,
    `| the same bodies again, ${i.copies} times each | ${i.duplicates.submissions} | ${fmt(i.duplicates.ms_per_submission, 3)} | ${fmt(i.duplicates.cpu_ms_per_submission, 3)} | ${JSON.stringify(i.duplicates.answers)} |`,
    '',
    `${i.absorbed} of ${i.duplicates.submissions} repeats answered "duplicate" with the first run's id; jobs in the queue ${i.jobs_before} → ${i.jobs_after}. ` +
      'Intake CPU is the bench process\'s (the vendor stand-in in it is idle then); time is per submission at the bench\'s concurrency.',
    '',
  ];
}
