import { countPrunable, countPrunableAlerts, deleteRuns, listPrunableRuns, pruneAlerts, pruneLedger, type DeletedCounts, type Db, type PrunableCounts } from '@revos/db';
import type { Logger } from 'pino';
import type { LaneQueues } from '../queue/enqueue.js';
import { isLane } from '../definition/lanes.js';
import { loadRetentionPolicy, type RetentionDefaults } from './policy.js';

export interface PruneDeps {
  db: Db;
  queues: LaneQueues;
  log: Logger;
}

export interface PruneOptions extends RetentionDefaults {
  /** Runs per batch: each batch is one short transaction, so live traffic never waits on a long one. */
  batchSize?: number;
  /** Stop a pass after this many batches (the next pass goes on); bounds one pass's work. */
  maxBatches?: number;
}

export interface PruneResult extends DeletedCounts {
  ledger_keys: number;
  /** Alerts raised longer ago than their tenant keeps runs (alerts of no tenant: the default). */
  alerts: number;
  /** Finished BullMQ jobs of pruned runs removed from Redis. */
  jobs: number;
  /** Tenants left alone because their retention setting is invalid. */
  skipped_tenants: string[];
}

const DEFAULT_BATCH = 1_000;
const DEFAULT_MAX_BATCHES = 100;

/**
 * One prune pass: runs past their tenant's retention go in batches (with their events, effects,
 * outbox rows, done tasks and intake records), then ledger keys past the dedupe window, then alerts
 * past the tenant's retention. Safe on
 * several producer replicas at once: every step is idempotent and re-checks its conditions.
 *
 * A pruned run's finished job is removed from Redis *before* its rows go: once the key's ledger row
 * is gone too, a new submission with the key must run, and BullMQ would silently drop it while an
 * old job with the same jobId still sat there (removeOnComplete keeps finished jobs for a day).
 */
export async function pruneOnce(deps: PruneDeps, options: PruneOptions): Promise<PruneResult> {
  const { policy, invalid } = await loadRetentionPolicy(deps.db.sql, options);
  for (const error of invalid) {
    deps.log.error({ tenant_id: error.tenantId, issues: error.issues }, 'tenant retention setting invalid; nothing of this tenant is pruned');
  }
  const batchSize = options.batchSize ?? DEFAULT_BATCH;
  const total: PruneResult = { runs: 0, events: 0, effects: 0, outbox: 0, tasks: 0, accepted_runs: 0, ledger_keys: 0, alerts: 0, jobs: 0, skipped_tenants: policy.skipTenants };
  for (let batch = 0; batch < (options.maxBatches ?? DEFAULT_MAX_BATCHES); batch++) {
    const runs = await listPrunableRuns(deps.db.sql, policy, batchSize);
    if (runs.length === 0) break;
    total.jobs += await removeFinishedJobs(deps.queues, runs);
    const deleted = await deleteRuns(deps.db.sql, runs.map((r) => r.workflowRunId));
    for (const key of ['runs', 'events', 'effects', 'outbox', 'tasks', 'accepted_runs'] as const) total[key] += deleted[key];
    if (runs.length < batchSize) break;
  }
  const inBatches = async (deleteBatch: () => Promise<number>) => {
    let deleted = 0;
    for (let batch = 0; batch < (options.maxBatches ?? DEFAULT_MAX_BATCHES); batch++) {
      const n = await deleteBatch();
      deleted += n;
      if (n < batchSize) break;
    }
    return deleted;
  };
  total.ledger_keys = await inBatches(() => pruneLedger(deps.db.sql, policy, batchSize));
  total.alerts = await inBatches(() => pruneAlerts(deps.db.sql, policy, batchSize));
  if (total.runs + total.ledger_keys + total.alerts > 0) deps.log.info({ ...total }, 'pruned history past retention');
  return total;
}

/** Removes the pruned runs' jobs from their lanes; a job already gone (the usual case) counts nothing. */
async function removeFinishedJobs(queues: LaneQueues, runs: { jobId: string; lane: string }[]): Promise<number> {
  let removed = 0;
  for (const run of runs) {
    if (!isLane(run.lane)) continue;
    // Queue.remove answers 1 when it removed the job, 0 when there was none or it is locked (active):
    // a pruned run's job is finished, so a locked one would be another run's, and stays.
    if ((await queues[run.lane].remove(run.jobId)) === 1) removed += 1;
  }
  return removed;
}

export interface PruneDryRun {
  tenants: (PrunableCounts & { alerts: number })[];
  /** Alerts of no tenant (fleet-wide conditions) past the default retention. */
  fleet_alerts: number;
  skipped_tenants: { tenant_id: string; issues: string[] }[];
  /** The windows in force, so an operator sees why (days). */
  default_retention_days: number;
  default_dedupe_window_days: number;
}

/** What a prune pass would remove now, per tenant; removes nothing. */
export async function pruneDryRun(deps: { db: Db }, options: RetentionDefaults): Promise<PruneDryRun> {
  const { policy, invalid } = await loadRetentionPolicy(deps.db.sql, options);
  const [counts, alerts] = await Promise.all([countPrunable(deps.db.sql, policy), countPrunableAlerts(deps.db.sql, policy)]);
  const alertsOf = new Map(alerts.map((a) => [a.tenant_id, a.alerts]));
  const tenants = counts.map((t) => ({ ...t, alerts: alertsOf.get(t.tenant_id) ?? 0 }));
  // A tenant with nothing but old alerts to prune gets a row of its own.
  for (const a of alerts) {
    if (a.tenant_id !== null && !counts.some((t) => t.tenant_id === a.tenant_id)) {
      tenants.push({ tenant_id: a.tenant_id, runs: 0, events: 0, effects: 0, outbox: 0, tasks: 0, accepted_runs: 0, ledger_keys: 0, oldest_accepted_at: null, alerts: a.alerts });
    }
  }
  tenants.sort((a, b) => a.tenant_id.localeCompare(b.tenant_id));
  return {
    tenants,
    fleet_alerts: alertsOf.get(null) ?? 0,
    skipped_tenants: invalid.map((e) => ({ tenant_id: e.tenantId, issues: e.issues })),
    default_retention_days: policy.defaultKeepDays,
    default_dedupe_window_days: policy.defaultDedupeDays,
  };
}
