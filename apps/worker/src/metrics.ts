/**
 * The worker's Prometheus metrics (GET /metrics on HEALTH_PORT), fed by `onOutcome` of every lane
 * worker: one call per attempt with its output contract. One registry per process (not prom-client's
 * global), so several workers in one process (tests) do not collide.
 */
import { runJobsFoundQueued, type AnyWorkflow, type AttemptOutcome, type Lane } from '@revos/runtime';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export interface WorkerMetrics {
  registry: Registry;
  onOutcome(outcome: AttemptOutcome, info: { lane: Lane; durationMs: number }): void;
}

export interface WorkerMetricsSources {
  /** Versions unfinished runs name that this worker cannot run (version-check.ts), read at each scrape. */
  unservedVersions?: () => Promise<{ workflow: string; version: string; unfinished: number }[]>;
}

/** `workflows`: the catalog this process serves; each one's latency budget is exported beside its latency. */
export function createWorkerMetrics(workflows: readonly AnyWorkflow[] = [], sources: WorkerMetricsSources = {}): WorkerMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'revos_worker_' });
  const readUnserved = sources.unservedVersions;
  new Gauge({
    name: 'revos_workflow_version_unserved_runs',
    help: 'Accepted, unfinished runs naming a workflow version this worker does not serve (neither kept nor retired with an upgrade), by workflow and version',
    labelNames: ['workflow', 'version'] as const,
    registers: [registry],
    async collect() {
      if (!readUnserved) return;
      // A failed read keeps the last values: a database blip must not look like "all served".
      const unserved = await readUnserved().catch(() => null);
      if (!unserved) return;
      this.reset();
      for (const u of unserved) this.set({ workflow: u.workflow, version: u.version }, u.unfinished);
    },
  });
  const runs = new Counter({
    name: 'revos_runs_total',
    help: 'Attempts that recorded an outcome, by workflow and result status (ok, noop, retry, failed, blocked)',
    labelNames: ['workflow', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'revos_run_duration_seconds',
    help: 'Wall time of one attempt in the worker, by lane and outcome kind (done, retry, terminal, wait, lost)',
    labelNames: ['lane', 'kind'] as const,
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
  // The convention's latency (meta_out.latency_ms): from the trigger's arrival, not the worker's pickup.
  const latency = new Histogram({
    name: 'revos_run_latency_seconds',
    help: 'Latency of finished runs from arrival (meta_out.latency_ms), by workflow and result status; compare with revos_latency_budget_seconds',
    labelNames: ['workflow', 'status'] as const,
    buckets: [0.1, 0.25, 0.5, 1, 1.5, 2, 2.5, 5, 8, 15, 30, 60, 300, 1800],
    registers: [registry],
  });
  const budget = new Gauge({
    name: 'revos_latency_budget_seconds',
    help: 'Latency budget of each workflow this worker serves (latency_budget_ms); absent for workflows without one (batch)',
    labelNames: ['workflow', 'lane'] as const,
    registers: [registry],
  });
  for (const workflow of workflows) {
    if (workflow.latencyBudgetMs !== null) budget.set({ workflow: workflow.name, lane: workflow.lane }, workflow.latencyBudgetMs / 1000);
  }
  const breaches = new Counter({
    name: 'revos_latency_breaches_total',
    help: 'Runs over their latency budget, by workflow',
    labelNames: ['workflow'] as const,
    registers: [registry],
  });
  let jobIdReported = 0;
  const duplicates = new Counter({
    name: 'revos_duplicates_absorbed_total',
    help: 'Duplicate deliveries absorbed, by layer: ledger (the idempotency ledger answered noop), jobid (a follow-up this worker added found its job already in Redis)',
    labelNames: ['layer'] as const,
    registers: [registry],
    collect() {
      // Counted where runs are added (queue/enqueue.ts); the series catches up at each scrape.
      const found = runJobsFoundQueued();
      this.inc({ layer: 'jobid' }, found - jobIdReported);
      jobIdReported = found;
    },
  });
  duplicates.inc({ layer: 'ledger' }, 0);
  const calls = new Counter({
    name: 'revos_effect_calls_total',
    help: 'Vendor calls made (not reused from the journal), by service and outcome (success, failure)',
    labelNames: ['service', 'outcome'] as const,
    registers: [registry],
  });
  const callLatency = new Histogram({
    name: 'revos_effect_call_duration_seconds',
    help: 'Latency of vendor calls made, by service and outcome',
    labelNames: ['service', 'outcome'] as const,
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
    registers: [registry],
  });

  return {
    registry,
    onOutcome(outcome, info) {
      duration.observe({ lane: info.lane, kind: outcome.kind }, info.durationMs / 1000);
      const output = outcome.kind === 'done' || outcome.kind === 'terminal' || outcome.kind === 'retry' ? outcome.output : null;
      if (!output) {
        // A terminal outcome without a contract (an envelope too broken to name its workflow).
        if (outcome.kind === 'terminal') runs.inc({ workflow: 'unknown', status: 'failed' });
        return;
      }
      const workflow = output.meta_out.workflow_name;
      const status = output.result.status;
      runs.inc({ workflow, status });
      if (outcome.kind !== 'retry') latency.observe({ workflow, status }, output.meta_out.latency_ms / 1000);
      if (status === 'noop') duplicates.inc({ layer: 'ledger' });
      if (output.meta_out.latency_breach) breaches.inc({ workflow });
      // Only the calls this attempt made: the audit also lists calls reused from the journal on a retry.
      for (const call of ('callsMade' in outcome ? outcome.callsMade : undefined) ?? []) {
        const labels = { service: call.service, outcome: call.success ? 'success' : 'failure' };
        calls.inc(labels);
        callLatency.observe(labels, call.latency_ms / 1000);
      }
    },
  };
}
