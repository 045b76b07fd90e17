/**
 * What a slow or failed run owes beyond its own row: a real-time caller's fallback (WF71), and an
 * alert when one workflow of one tenant keeps breaching its budget.
 */
import { countRecentBreaches, latestAlertAt, recordAlertUnlessRecent, type Sql } from '@revos/db';
import { newAlertId, type EnvelopeMeta, type FailureCode, type NextAction } from '@revos/envelope';
import type { Logger } from 'pino';
import type { AnyWorkflow } from '../definition/define-workflow.js';
import { FALLBACK_WORKFLOW, fallbackAction } from './latency.js';

export interface FallbackFacts {
  workflow: AnyWorkflow | null;
  payload: Record<string, unknown>;
  sourceRunId: string;
  latencyMs: number;
  budgetMs: number | null;
  breach: boolean;
  failureCode: FailureCode | null;
}

/** The fallback next action the run must carry, if any (see `fallbackAction`). */
export function fallbackFor(f: FallbackFacts): NextAction | null {
  const workflow = f.workflow;
  // WF71's own failures must not call WF71 again (that would loop).
  if (!workflow || workflow.name === FALLBACK_WORKFLOW) return null;
  return fallbackAction({
    channel: workflow.channel,
    payload: f.payload,
    sourceRunId: f.sourceRunId,
    sourceWorkflow: workflow.name,
    latencyMs: f.latencyMs,
    budgetMs: f.budgetMs,
    breach: f.breach,
    failureCode: f.failureCode,
  });
}

export interface BreachAlertRule {
  /** `count` breaches of one workflow for one tenant within `windowMs` write an alert. */
  count: number;
  windowMs: number;
}

const ALERT_KIND = 'latency_breach_repeated';

/**
 * Per rule (one per worker process), tenant and workflow: until when an alert for the current window
 * is known to be written. Under a backlog every run is late; while such an alert stands, no breach can
 * raise another, so the count query and the insert attempt are skipped.
 */
const alertStandsUntil = new WeakMap<BreachAlertRule, Map<string, number>>();

function standingAlerts(rule: BreachAlertRule): Map<string, number> {
  let standing = alertStandsUntil.get(rule);
  if (!standing) alertStandsUntil.set(rule, (standing = new Map()));
  return standing;
}

/** Logs a breach and raises one alert per tenant, workflow and window once the rule's count is reached. */
export async function alertOnRepeatedBreach(
  sql: Sql,
  rule: BreachAlertRule,
  meta: EnvelopeMeta,
  breach: { latencyMs: number; budgetMs: number | null },
  log: Logger,
): Promise<void> {
  const { count, windowMs } = rule;
  const standing = standingAlerts(rule);
  const scope = `${meta.tenant_id}\u0000${meta.workflow_name}`;
  const until = standing.get(scope);
  if (until !== undefined && Date.now() < until) {
    log.warn({ latency_ms: breach.latencyMs, budget_ms: breach.budgetMs, alert_standing: true }, 'latency budget breached');
    return;
  }
  const breaches = await countRecentBreaches(sql, meta.tenant_id, meta.workflow_name, windowMs);
  log.warn({ latency_ms: breach.latencyMs, budget_ms: breach.budgetMs, breaches_in_window: breaches }, 'latency budget breached');
  if (breaches < count) return;
  // One alert per tenant, workflow and window: a burst of breaches raises one alert, not hundreds.
  const created = await recordAlertUnlessRecent(sql, {
    alertId: newAlertId(),
    tenantId: meta.tenant_id,
    kind: ALERT_KIND,
    workflowName: meta.workflow_name,
    workflowRunId: meta.workflow_run_id,
    dedupeKey: `latency:${meta.tenant_id}:${meta.workflow_name}:${meta.workflow_run_id}`,
    details: { breaches, window_ms: windowMs, threshold: count, budget_ms: breach.budgetMs },
  }, windowMs);
  // Written here, or already by another worker: either way none can be written until its window ends.
  const writtenAt = created ? Date.now() : (await latestAlertAt(sql, ALERT_KIND, meta.tenant_id, meta.workflow_name))?.getTime();
  if (writtenAt !== undefined) standing.set(scope, writtenAt + windowMs);
  if (created) log.error({ breaches, window_ms: windowMs }, 'repeated latency breaches: alert raised');
}
