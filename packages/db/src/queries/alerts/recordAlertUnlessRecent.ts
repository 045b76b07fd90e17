import type { Sql } from '../../client.js';
import { jsonb } from '../json.js';
import type { AlertEntry } from './recordAlert.js';

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
