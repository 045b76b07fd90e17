import type { Sql } from '../../client.js';
import type { VoiceTurnRecord } from './saveVoiceTurn.js';

/**
 * The latest recorded turn of a call before `beforeTurn` (all turns when omitted), or null when the
 * call has none yet. A turn reads the one before it, never its own earlier attempt's row.
 */
export async function loadVoiceCallState(sql: Sql, tenantId: string, callSid: string, beforeTurn?: number): Promise<VoiceTurnRecord | null> {
  const [row] = await sql<{ turn: number; workflow_run_id: string; intent: string; state: Record<string, unknown> }[]>`
    select turn, workflow_run_id, intent, state from voice_call_turns
     where tenant_id = ${tenantId} and call_sid = ${callSid} and turn < ${beforeTurn ?? 2147483647}
     order by turn desc limit 1`;
  if (!row) return null;
  return { tenantId, callSid, turn: row.turn, workflowRunId: row.workflow_run_id, intent: row.intent, state: row.state };
}
