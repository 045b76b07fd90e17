import type { Sql } from '../../client.js';
import { jsonb } from '../json.js';

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
