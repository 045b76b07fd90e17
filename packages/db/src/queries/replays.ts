import type { Sql } from '../client.js';
import { jsonb } from './json.js';

/** How many replays of a run were accepted so far (trigger ids `replay:<run id>:<n>`). */
export async function countReplays(sql: Sql, runId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from workflow_runs
     where parent_run_id = ${runId} and starts_with(trigger_id, ${`replay:${runId}:`})`;
  return row?.n ?? 0;
}

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
