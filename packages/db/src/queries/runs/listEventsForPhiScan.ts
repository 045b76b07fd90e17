import type { Queryable } from '../../client.js';
import type { PhiScanEventRow } from './run-rows.js';

/** The events of the given runs of one tenant (another tenant's events are never returned). */
export async function listEventsForPhiScan(sql: Queryable, tenantId: string, runIds: readonly string[]): Promise<PhiScanEventRow[]> {
  if (runIds.length === 0) return [];
  return sql<PhiScanEventRow[]>`
    select event_id, workflow_run_id, subject, payload
      from events
     where tenant_id = ${tenantId} and workflow_run_id = any(${runIds as string[]}::text[])
     order by occurred_at, event_id`;
}
