/** The bench's result file (JSON) and its markdown table. */
import { round, type LatencySummary, type PhaseResult, type WorkerKind } from './shared.js';
import { renderVoice, type VoiceResult } from './voice.js';

export interface Check {
  variant: string;
  expected: number;
  vendor_calls: number;
  distinct_tokens: number;
  events: number;
  effects: number;
  ok_runs: number;
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

export interface Ratios {
  fleet_over_raw_insert: number | null;
  fleet_over_raw_noop: number | null;
  idle_p99_fleet_minus_raw_noop_ms: number | null;
  /** (time per extra delivery) / (time per fresh run), both from the fleet-duplicates child. */
  duplicate_cost_fraction: number | null;
  fleet_peak_rss_mb: number | null;
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
    redis_server: string;
    postgres_server: string;
  };
  config: {
    n: number;
    concurrency: number;
    pg_pool: number;
    redis_connections: string;
    deliveries: number;
    duplicates_n: number;
    idle_rate: number;
    idle_seconds: number;
    idle_warmup_seconds: number;
    log_level: string;
    variants: string[];
  };
  throughput: ThroughputResult[];
  idle: IdleResult[];
  /** The `voice` variant, when it ran. */
  voice?: VoiceResult;
  ratios?: Ratios;
}

export const TARGETS = {
  fleet_over_raw_insert: 0.7,
  idle_p99_over_raw_noop_ms: 5,
  duplicate_cost_fraction: 0.1,
  fleet_peak_rss_mb: 200,
} as const;

export const runsPerSecond = (p: PhaseResult): number => round((p.completed / p.elapsed_ms) * 1000, 1);

function phase(report: BenchReport, variant: string, name: string): PhaseResult | undefined {
  return report.throughput.find((t) => t.variant === variant)?.phases.find((p) => p.name === name);
}

export function deriveRatios(report: BenchReport): Ratios {
  const fleet = phase(report, 'fleet', 'fresh');
  const rawInsert = phase(report, 'raw-insert', 'fresh');
  const rawNoop = phase(report, 'raw-noop', 'fresh');
  const dupFresh = phase(report, 'fleet-duplicates', 'fresh');
  const dups = phase(report, 'fleet-duplicates', 'duplicates');
  const idleFleet = report.idle.find((r) => r.variant === 'idle-fleet');
  const idleNoop = report.idle.find((r) => r.variant === 'idle-raw-noop');
  const ratio = (a?: PhaseResult, b?: PhaseResult) => (a && b ? round(runsPerSecond(a) / runsPerSecond(b), 3) : null);
  return {
    fleet_over_raw_insert: ratio(fleet, rawInsert),
    fleet_over_raw_noop: ratio(fleet, rawNoop),
    idle_p99_fleet_minus_raw_noop_ms: idleFleet && idleNoop ? round(idleFleet.latency.p99_ms - idleNoop.latency.p99_ms) : null,
    duplicate_cost_fraction:
      dups && dupFresh && dups.completed > 0 ? round(dups.elapsed_ms / dups.completed / (dupFresh.elapsed_ms / dupFresh.completed), 3) : null,
    fleet_peak_rss_mb: report.throughput.find((t) => t.variant === 'fleet')?.peak_rss_mb ?? null,
  };
}

const fmt = (x: number | null | undefined, digits = 1): string => (x === null || x === undefined || Number.isNaN(x) ? '–' : x.toFixed(digits));
const verdict = (ok: boolean | null): string => (ok === null ? '–' : ok ? 'met' : 'not met');

export function renderMarkdown(report: BenchReport): string {
  const m = report.machine;
  const c = report.config;
  const r = report.ratios ?? deriveRatios(report);
  const lines: string[] = [];
  lines.push(`# Bench results — ${report.date}`, '');
  lines.push(
    `Machine: ${m.cpus} cores (${m.cpu_model}), ${m.total_mem_mb} MB, ${m.os}. Node ${m.node}, BullMQ ${m.bullmq}, ioredis ${m.ioredis}, ` +
      `postgres.js ${m.postgres_js}, pino ${m.pino}, zod ${m.zod}; Redis ${m.redis_server}, PostgreSQL ${m.postgres_server}.`,
    '',
    `N = ${c.n} per throughput variant (fleet-duplicates: ${c.duplicates_n} envelopes × ${c.deliveries} deliveries), concurrency ${c.concurrency}, ` +
      `PostgreSQL pool ${c.pg_pool}, ${c.redis_connections}, fleet log level ${c.log_level}. ` +
      `Idle latency: ${c.idle_rate} runs/s for ${c.idle_seconds} s after a ${c.idle_warmup_seconds} s warm-up.`,
    '',
  );
  lines.push('## Throughput (queue pre-filled; worker start → last completion)', '');
  lines.push('| variant | runs | time (s) | runs/s | processing p50 (ms) | processing p99 (ms) | peak RSS (MB) | RSS before start (MB) | exactly-once |');
  lines.push('|---|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const t of report.throughput) {
    for (const p of t.phases) {
      const label = t.phases.length > 1 ? `${t.variant} (${p.name === 'fresh' ? 'fresh runs' : `${c.deliveries - 1} extra deliveries each`})` : t.variant;
      const check = p.name === t.phases[t.phases.length - 1]!.name && t.check ? (t.check.pass ? 'PASS' : 'FAIL') : '';
      const incomplete = p.completed < p.target ? ` (of ${p.target}${p.timed_out ? ', timed out' : ''})` : '';
      lines.push(
        `| ${label} | ${p.completed}${incomplete} | ${fmt(p.elapsed_ms / 1000, 2)} | ${fmt(runsPerSecond(p), 0)} | ${fmt(p.processing.p50_ms)} | ${fmt(p.processing.p99_ms)} | ` +
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
  if (report.voice) lines.push(...renderVoice(report.voice));
  lines.push('## Ratios and targets', '');
  lines.push('| measure | value | target | |');
  lines.push('|---|---:|---:|---|');
  lines.push(`| fleet / raw-insert (runs/s) | ${fmt(r.fleet_over_raw_insert, 3)} | ≥ ${TARGETS.fleet_over_raw_insert} | ${verdict(r.fleet_over_raw_insert === null ? null : r.fleet_over_raw_insert >= TARGETS.fleet_over_raw_insert)} |`);
  lines.push(`| fleet / raw-noop (runs/s) | ${fmt(r.fleet_over_raw_noop, 3)} | | |`);
  lines.push(
    `| idle p99: fleet − raw-noop (ms) | ${fmt(r.idle_p99_fleet_minus_raw_noop_ms)} | ≤ ${TARGETS.idle_p99_over_raw_noop_ms} | ${verdict(r.idle_p99_fleet_minus_raw_noop_ms === null ? null : r.idle_p99_fleet_minus_raw_noop_ms <= TARGETS.idle_p99_over_raw_noop_ms)} |`,
  );
  lines.push(
    `| duplicate delivery cost / fresh run | ${fmt(r.duplicate_cost_fraction, 3)} | < ${TARGETS.duplicate_cost_fraction} | ${verdict(r.duplicate_cost_fraction === null ? null : r.duplicate_cost_fraction < TARGETS.duplicate_cost_fraction)} |`,
  );
  lines.push(`| fleet worker peak RSS (MB) | ${fmt(r.fleet_peak_rss_mb)} | < ${TARGETS.fleet_peak_rss_mb} | ${verdict(r.fleet_peak_rss_mb === null ? null : r.fleet_peak_rss_mb < TARGETS.fleet_peak_rss_mb)} |`);
  const checks = [...report.throughput, ...report.idle].flatMap((t) => (t.check ? [t.check] : []));
  if (checks.length > 0) {
    lines.push('', '## Exactly-once checks', '');
    lines.push('| variant | expected | vendor calls | distinct tokens | events | completed effects | ok runs | |');
    lines.push('|---|---:|---:|---:|---:|---:|---:|---|');
    for (const k of checks) {
      lines.push(`| ${k.variant} | ${k.expected} | ${k.vendor_calls} | ${k.distinct_tokens} | ${k.events} | ${k.effects} | ${k.ok_runs} | ${k.pass ? 'PASS' : 'FAIL'} |`);
    }
  }
  lines.push('');
  return lines.join('\n');
}
