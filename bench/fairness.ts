/**
 * The `fairness` variant: two practices on one fleet (issue "Many practices on one fleet").
 *
 * A real producer (HTTP, in this process) and a real worker process (the production worker, its
 * Twilio adapter pointed at a stand-in that answers every send after `vendorMs`) share a fresh
 * database and prefix. Practice A submits N texts through POST /v1/runs as fast as `submitters`
 * parallel clients go; practice B submits one text every `intervalMs` meanwhile. Reported: B's
 * accept → done (the run's row: accepted_at → ended_at, one clock: PostgreSQL's) p50/p99 and how many
 * passed the SMS budget, and A's drain time (A's first acceptance → A's last run ended). The same
 * load runs three times, each on its own database and prefix: A alone, A + B with fair share, and
 * A + B with FAIR_SHARE=false (the first-in, first-out lane it replaced).
 */
import { round, summarise, type LatencySummary } from './shared.js';
import { startTextFleet } from './text-fleet.js';

const TENANT_A = 't_bench_busy';
const TENANT_B = 't_bench_quiet';
const SMS_BUDGET_MS = 8_000;

export interface FairnessPass {
  name: 'a-alone' | 'a-and-b' | 'a-and-b-fifo';
  fair_share: boolean;
  a_runs: number;
  a_drain_s: number;
  b_runs: number;
  b_latency: LatencySummary | null;
  b_over_budget: number;
}

export interface FairnessResult {
  variant: 'fairness';
  n: number;
  interval_ms: number;
  vendor_ms: number;
  passes: FairnessPass[];
  /** A's drain with B and fair share, over A alone (target ≤ 1.1). */
  a_drain_ratio: number | null;
}

export interface FairnessBenchDeps {
  /** A fresh database URL and BullMQ prefix per pass (the caller drops them afterwards). */
  resources: () => Promise<{ dbUrl: string; prefix: string }>;
  redisUrl: string;
  n: number;
  intervalMs: number;
  vendorMs: number;
  /** Parallel clients submitting A's texts. */
  submitters: number;
  log: (line: string) => void;
}

export async function fairnessVariant(d: FairnessBenchDeps): Promise<FairnessResult> {
  const passes: FairnessPass[] = [];
  for (const [name, fairShare, withB] of [
    ['a-alone', true, false],
    ['a-and-b', true, true],
    ['a-and-b-fifo', false, true],
  ] as const) {
    const pass = await onePass(d, name, fairShare, withB);
    passes.push(pass);
    const b = pass.b_latency ? `; B ${pass.b_runs} texts accept→done p50 ${pass.b_latency.p50_ms} / p99 ${pass.b_latency.p99_ms} ms, ${pass.b_over_budget} over ${SMS_BUDGET_MS} ms` : '';
    d.log(`fairness/${name}: A's ${pass.a_runs} texts drained in ${pass.a_drain_s} s${b}`);
  }
  const alone = passes.find((p) => p.name === 'a-alone');
  const shared = passes.find((p) => p.name === 'a-and-b');
  return {
    variant: 'fairness',
    n: d.n,
    interval_ms: d.intervalMs,
    vendor_ms: d.vendorMs,
    passes,
    a_drain_ratio: alone && shared && alone.a_drain_s > 0 ? round(shared.a_drain_s / alone.a_drain_s, 3) : null,
  };
}

async function onePass(d: FairnessBenchDeps, name: FairnessPass['name'], fairShare: boolean, withB: boolean): Promise<FairnessPass> {
  const { dbUrl, prefix } = await d.resources();
  const fleet = await startTextFleet({ dbUrl, prefix, redisUrl: d.redisUrl, tenants: [TENANT_A, TENANT_B], vendorMs: d.vendorMs, fairShare });
  const { sql } = fleet;
  try {
    let next = 0;
    let aDone = false;
    const aSubmitting = Promise.all(
      Array.from({ length: d.submitters }, async () => {
        while (next < d.n) await fleet.submit(TENANT_A, `${name}-${TENANT_A}-${next++}`);
      }),
    ).then(() => {
      aDone = true;
    });
    let b = 0;
    const bSubmitting = withB
      ? (async () => {
          // B keeps texting until A's backlog is gone (checked by A's runs still unfinished).
          for (;;) {
            await fleet.submit(TENANT_B, `${name}-${TENANT_B}-${b++}`);
            await new Promise((r) => setTimeout(r, d.intervalMs));
            if (aDone && (await fleet.unfinished(TENANT_A)) === 0) return;
          }
        })()
      : Promise.resolve();
    await aSubmitting;
    await bSubmitting;
    while ((await fleet.unfinished(TENANT_A)) > 0 || (await fleet.unfinished(TENANT_B)) > 0) await new Promise((r) => setTimeout(r, 200));
    const [a] = await sql<{ runs: number; drain_s: number }[]>`
      select count(*)::int as runs, extract(epoch from (max(ended_at) - min(accepted_at)))::float8 as drain_s
        from workflow_runs where tenant_id = ${TENANT_A}`;
    const bRows = await sql<{ ms: number }[]>`
      select extract(epoch from (ended_at - accepted_at))::float8 * 1000 as ms from workflow_runs where tenant_id = ${TENANT_B}`;
    const bMs = bRows.map((r) => Number(r.ms));
    return {
      name,
      fair_share: fairShare,
      a_runs: a!.runs,
      a_drain_s: round(Number(a!.drain_s), 1),
      b_runs: bMs.length,
      b_latency: bMs.length > 0 ? summarise(bMs) : null,
      b_over_budget: bMs.filter((ms) => ms > SMS_BUDGET_MS).length,
    };
  } finally {
    await fleet.close();
  }
}

/** The markdown section of the fairness variant. */
export function renderFairness(f: FairnessResult): string[] {
  const lines = [`## Fairness (A: ${f.n} texts at once; B: one text every ${f.interval_ms} ms; vendor answers in ${f.vendor_ms} ms)`, ''];
  lines.push('| pass | fair share | A texts | A drain (s) | B texts | B accept→done p50 / p99 (ms) | B over the 8 s budget |');
  lines.push('|---|---|---:|---:|---:|---:|---:|');
  for (const p of f.passes) {
    const lat = p.b_latency ? `${round(p.b_latency.p50_ms, 0)} / ${round(p.b_latency.p99_ms, 0)}` : '–';
    lines.push(`| ${p.name} | ${p.fair_share ? 'on' : 'off'} | ${p.a_runs} | ${p.a_drain_s} | ${p.b_runs} | ${lat} | ${p.b_runs > 0 ? p.b_over_budget : '–'} |`);
  }
  const shared = f.passes.find((p) => p.name === 'a-and-b');
  const p99 = shared?.b_latency?.p99_ms ?? null;
  lines.push(
    '',
    `Targets: B's p99 ≤ 1,000 ms with no breach: ${p99 === null ? '–' : `${round(p99, 0)} ms, ${shared!.b_over_budget} breaches — ${p99 <= 1_000 && shared!.b_over_budget === 0 ? 'PASS' : 'FAIL'}`}; ` +
      `A's drain ≤ 1.1 × A alone: ${f.a_drain_ratio === null ? '–' : `${f.a_drain_ratio} — ${f.a_drain_ratio <= 1.1 ? 'PASS' : 'FAIL'}`}.`,
    '',
  );
  return lines;
}
