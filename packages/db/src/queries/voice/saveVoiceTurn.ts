import type { Sql } from '../../client.js';
import { jsonb } from '../json.js';

/** One answered turn of a live call (see `voice_call_turns`). */
export interface VoiceTurnRecord {
  tenantId: string;
  callSid: string;
  turn: number;
  workflowRunId: string;
  intent: string;
  state: Record<string, unknown>;
}

/**
 * Records a turn's state. A re-run of the same turn (a redelivery after a crash) replaces its own
 * row with what it decided again; other turns' rows are never touched.
 */
export async function saveVoiceTurn(sql: Sql, t: VoiceTurnRecord): Promise<void> {
  await sql`
    insert into voice_call_turns (tenant_id, call_sid, turn, workflow_run_id, intent, state)
    values (${t.tenantId}, ${t.callSid}, ${t.turn}, ${t.workflowRunId}, ${t.intent}, ${jsonb(t.state)}::text::jsonb)
    on conflict (tenant_id, call_sid, turn) do update
      set workflow_run_id = excluded.workflow_run_id, intent = excluded.intent, state = excluded.state`;
}
