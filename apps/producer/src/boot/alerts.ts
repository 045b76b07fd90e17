/**
 * The producer's alert checks, run by a background loop (background.ts) on every replica: a growing
 * outbox lag and a failure rate above the threshold per workflow. Each finding is an `alerts` row
 * deduped per condition and window (replicas and repeated passes write it once) and one error-level
 * log line carrying the ids an operator starts from. Repeated latency breaches are raised by the
 * workers' pipeline (kind `latency_breach_repeated`).
 */
import { oldestPendingOutbox, outboxLagSeconds, recordAlertUnlessRecent, workflowFailureRates, type AlertEntry } from '@revos/db';
import { newAlertId } from '@revos/envelope';
import type { ProducerDeps } from '../platform/deps.js';

export interface AlertCheckResult {
  /** Alert rows this pass wrote (already-raised ones are not counted again). */
  raised: { kind: string; dedupeKey: string }[];
}

/** The start of the fixed window `now` falls in, as an ISO string: the dedupe key's time part. */
const windowOf = (now: number, windowMs: number) => new Date(Math.floor(now / windowMs) * windowMs).toISOString();

export async function checkAlerts(deps: Pick<ProducerDeps, 'db' | 'env' | 'log' | 'metrics'>, now = Date.now()): Promise<AlertCheckResult> {
  const { db, env, log } = deps;
  const raised: AlertCheckResult['raised'] = [];
  // Deduped on a sliding window (no alert of the same kind and workflow within it), so a pass at a
  // clock-bucket edge does not raise the same condition twice.
  const raise = async (entry: AlertEntry, windowMs: number, logFields: Record<string, unknown>, message: string) => {
    if (!(await recordAlertUnlessRecent(db.sql, entry, windowMs))) return;
    raised.push({ kind: entry.kind, dedupeKey: entry.dedupeKey });
    deps.metrics.alertRaised(entry.kind);
    log.error({ alert_id: entry.alertId, alert_kind: entry.kind, dedupe_key: entry.dedupeKey, ...logFields }, message);
  };

  const lag = await outboxLagSeconds(db.sql);
  if (lag > env.OUTBOX_LAG_ALERT_S) {
    const oldest = await oldestPendingOutbox(db.sql, 5);
    const first = oldest[0];
    const details = {
      lag_s: Math.round(lag),
      threshold_s: env.OUTBOX_LAG_ALERT_S,
      oldest: oldest.map((o) => ({ outbox_id: o.outbox_id, tenant_id: o.tenant_id, parent_run_id: o.parent_run_id, root_run_id: o.root_run_id, workflow: o.workflow, attempts: o.attempts, last_error: o.last_error })),
    };
    // One alert per lag window (the threshold's length, at least a minute).
    const windowMs = Math.max(60_000, env.OUTBOX_LAG_ALERT_S * 1000);
    await raise(
      { alertId: newAlertId(), tenantId: first?.tenant_id ?? null, kind: 'outbox_lag', workflowName: first?.workflow ?? null, workflowRunId: first?.parent_run_id ?? null, dedupeKey: `outbox_lag:${windowOf(now, windowMs)}`, details },
      windowMs,
      { lag_s: details.lag_s, threshold_s: env.OUTBOX_LAG_ALERT_S, outbox_id: first?.outbox_id, parent_run_id: first?.parent_run_id, root_run_id: first?.root_run_id, tenant_id: first?.tenant_id },
      'outbox lag above threshold: follow-ups are not being enqueued',
    );
  }

  for (const rate of await workflowFailureRates(db.sql, env.FAILURE_RATE_WINDOW_MS)) {
    if (rate.total < env.FAILURE_RATE_MIN_RUNS) continue;
    const share = rate.failed / rate.total;
    if (share <= env.FAILURE_RATE_ALERT) continue;
    const details = { workflow: rate.workflow_name, failed: rate.failed, total: rate.total, rate: Number(share.toFixed(4)), threshold: env.FAILURE_RATE_ALERT, window_ms: env.FAILURE_RATE_WINDOW_MS };
    await raise(
      { alertId: newAlertId(), tenantId: null, kind: 'failure_rate', workflowName: rate.workflow_name, workflowRunId: null, dedupeKey: `failure_rate:${rate.workflow_name}:${windowOf(now, env.FAILURE_RATE_WINDOW_MS)}`, details },
      env.FAILURE_RATE_WINDOW_MS,
      { workflow: rate.workflow_name, failed: rate.failed, total: rate.total, rate: details.rate, threshold: env.FAILURE_RATE_ALERT, hint: `revos runs failed --workflow ${rate.workflow_name} --since ${Math.ceil(env.FAILURE_RATE_WINDOW_MS / 60_000)}m` },
      'workflow failure rate above threshold',
    );
  }
  return { raised };
}
