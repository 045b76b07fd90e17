/**
 * A live call's state between turns, kept in PostgreSQL by CallSid (`voice_call_turns`): where the
 * conversation is, what was offered, who the caller is on the PMS's records, what was booked.
 * Never what the caller said.
 */
import { loadVoiceCallState, saveVoiceTurn, type Db } from '@revos/db';
import { z } from 'zod';

export const CallStage = z.enum(['idle', 'asking_time', 'offered', 'booked', 'ended']);
export type CallStage = z.infer<typeof CallStage>;

export const OfferedSlot = z.object({ start: z.iso.datetime({ offset: true }), provider_id: z.string().min(1) });
export type OfferedSlot = z.infer<typeof OfferedSlot>;

/** What one turn leaves for the next. Unknown keys are dropped; a malformed row reads as a fresh call. */
export const CallState = z.object({
  stage: CallStage.default('idle'),
  offered_slots: z.array(OfferedSlot).max(2).default([]),
  patient_id: z.string().nullable().default(null),
  appointment_id: z.string().nullable().default(null),
});
export type CallState = z.infer<typeof CallState>;

export const FRESH_CALL: CallState = { stage: 'idle', offered_slots: [], patient_id: null, appointment_id: null };

/** Reads and writes call state for WF17 (and the voice webhook, which reads who the caller is). */
export interface VoiceCallStore {
  /** The state the latest turn before `beforeTurn` left (a fresh call when there is none). */
  before(tenantId: string, callSid: string, beforeTurn: number): Promise<CallState>;
  /** Records what this turn decided; a re-run of the same turn overwrites only its own row. */
  save(turn: { tenantId: string; callSid: string; turn: number; workflowRunId: string; intent: string; state: CallState }): Promise<void>;
}

export function parseCallState(raw: unknown): CallState {
  const parsed = CallState.safeParse(raw ?? {});
  return parsed.success ? parsed.data : FRESH_CALL;
}

/** The store over the fleet's database. */
export function createDbVoiceCallStore(db: Db): VoiceCallStore {
  return {
    async before(tenantId, callSid, beforeTurn) {
      const row = await loadVoiceCallState(db.sql, tenantId, callSid, beforeTurn);
      return row ? parseCallState(row.state) : FRESH_CALL;
    },
    async save(t) {
      await saveVoiceTurn(db.sql, { tenantId: t.tenantId, callSid: t.callSid, turn: t.turn, workflowRunId: t.workflowRunId, intent: t.intent, state: t.state });
    },
  };
}
