import type { Sql } from '../client.js';
import { jsonb } from './json.js';

export interface AlertEntry {
  alertId: string;
  tenantId: string | null;
  kind: string;
  workflowName: string | null;
  workflowRunId: string | null;
  /** One alert per condition and window: a second insert with the same key is dropped. */
  dedupeKey: string;
  details: Record<string, unknown>;
}

/** Writes an alert unless one with the same dedupe key exists. Returns whether it was new. */
export async function recordAlert(sql: Sql, a: AlertEntry): Promise<boolean> {
  const rows = await sql`
    insert into alerts (alert_id, tenant_id, kind, workflow_name, workflow_run_id, dedupe_key, details)
    values (${a.alertId}, ${a.tenantId}, ${a.kind}, ${a.workflowName}, ${a.workflowRunId}, ${a.dedupeKey},
            ${jsonb(a.details)}::text::jsonb)
    on conflict (dedupe_key) do nothing
    returning 1`;
  return rows.length === 1;
}

/**
 * Writes an alert unless one of the same kind for the same tenant and workflow
 * was raised within `windowMs`: a condition that persists raises one alert per
 * window, sliding, not one per fixed clock bucket (which doubled at bucket edges).
 */
export async function recordAlertUnlessRecent(sql: Sql, a: AlertEntry, windowMs: number): Promise<boolean> {
  const rows = await sql`
    insert into alerts (alert_id, tenant_id, kind, workflow_name, workflow_run_id, dedupe_key, details)
    select ${a.alertId}, ${a.tenantId}, ${a.kind}, ${a.workflowName}, ${a.workflowRunId}, ${a.dedupeKey},
           ${jsonb(a.details)}::text::jsonb
     where not exists (
       select 1 from alerts
        where kind = ${a.kind} and tenant_id is not distinct from ${a.tenantId}
          and workflow_name is not distinct from ${a.workflowName}
          and created_at > now() - ${windowMs} * interval '1 millisecond')
    on conflict (dedupe_key) do nothing
    returning 1`;
  return rows.length === 1;
}

/** Latency breaches of one workflow for one tenant within the last `windowMs`. */
export async function countRecentBreaches(
  sql: Sql,
  tenantId: string,
  workflowName: string,
  windowMs: number,
): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from workflow_runs
     where latency_breach and tenant_id = ${tenantId} and workflow_name = ${workflowName}
       and ended_at > now() - ${windowMs} * interval '1 millisecond'`;
  return row?.n ?? 0;
}

/** When the newest alert of this kind for this tenant and workflow was written, if any. */
export async function latestAlertAt(sql: Sql, kind: string, tenantId: string | null, workflowName: string | null): Promise<Date | null> {
  const [row] = await sql<{ at: Date | null }[]>`
    select max(created_at) as at from alerts
     where kind = ${kind} and tenant_id is not distinct from ${tenantId}
       and workflow_name is not distinct from ${workflowName}`;
  return row?.at ?? null;
}
