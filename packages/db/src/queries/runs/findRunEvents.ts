import type { Queryable } from '../../client.js';
import type { EventView } from './run-rows.js';

export async function findRunEvents(sql: Queryable, tenantId: string, runId: string): Promise<EventView[]> {
  return sql<EventView[]>`
    select event_id, event_type, direction, payload_ref, payload, effect_name, occurred_at::text
      from events where tenant_id = ${tenantId} and workflow_run_id = ${runId} order by occurred_at, event_id`;
}
