import { WorkflowError } from '@revos/envelope';
import { defineWorkflow, type NextActionInput } from '@revos/runtime';
import { z } from 'zod';

/**
 * One turn of a live call. The speech layer sends the recognised intent (never
 * the transcript: that stays with the voice vendor); this turn decides what the
 * call does next, within the voice budget (2.5 s), and hands slow work to other lanes.
 */
export const WF17_RealTime_Voice_Orchestrator = defineWorkflow({
  name: 'WF17_RealTime_Voice_Orchestrator',
  version: '1.0.0',
  lane: 'realtime',
  // Decides by tenant policy: intake attaches it, the output records the version used (policy_used).
  usesPolicy: true,
  channel: 'voice',
  payload: z
    .object({
      call_sid: z.string().regex(/^CA[0-9a-fA-F]{32}$/),
      turn: z.number().int().min(0),
      intent: z.enum(['book_appointment', 'talk_to_staff', 'confirm', 'unknown']),
      slot_start: z.iso.datetime().optional(),
      practice_id: z.string().min(1).optional(),
    })
    .strict(),
  async run(ctx) {
    const p = ctx.payload;
    const next: NextActionInput[] = [];
    let reply: string;
    switch (p.intent) {
      case 'book_appointment':
        if (!p.slot_start || !p.practice_id) {
          throw new WorkflowError('invalid_input', 'book_appointment needs slot_start and practice_id', { stage: 'core_logic' });
        }
        next.push({ workflow: 'WF18_Schedule', payload: { practice_id: p.practice_id, slot_start: p.slot_start }, priority: 'high' });
        reply = 'booking_requested';
        break;
      case 'talk_to_staff':
        next.push({ workflow: 'WF71_RealTime_Fallback', payload: { call_sid: p.call_sid, reason: 'caller_asked_for_staff' }, priority: 'high' });
        reply = 'transferring';
        break;
      case 'confirm':
        reply = 'confirmed';
        break;
      case 'unknown':
        reply = 'reprompt';
        break;
    }
    return { summary: `voice turn ${p.turn}: ${reply}`, primary_outputs: { call_sid: p.call_sid, turn: p.turn, reply }, next_actions: next };
  },
});
