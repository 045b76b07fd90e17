import type { Sql } from '../../client.js';
import { jsonb } from '../json.js';

export interface OperatorEvent {
  eventId: string;
  workflowRunId: string;
  rootRunId: string;
  tenantId: string;
  eventType: string;
  /** Operator facts only (who, why, which run): never PHI. */
  payload: Record<string, unknown>;
}

/** An `internal` event an operator's action leaves on a run (e.g. `run.replay_forced`), for the audit trail. */
export async function recordOperatorEvent(sql: Sql, e: OperatorEvent): Promise<void> {
  await sql`
    insert into events (event_id, workflow_run_id, root_run_id, tenant_id, event_type, direction, payload_ref, payload)
    values (${e.eventId}, ${e.workflowRunId}, ${e.rootRunId}, ${e.tenantId}, ${e.eventType}, 'internal',
            ${`operator:${e.eventId}`}, ${jsonb(e.payload)}::text::jsonb)`;
}
