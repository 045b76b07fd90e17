import { WorkflowError } from '@revos/envelope';
import { defineWorkflow, type NextActionInput, type RunContext } from '@revos/runtime';
import type { CallState, OfferedSlot } from '../voice/call-state.js';
import { farewell } from '../voice/practice-name.js';
import type { VoiceReply } from '../voice/reply.js';
import { classifyUtterance, isTimeZone, parseAskedTime, speakTime, type VoiceIntent } from '../voice/understanding.js';
import { bookOnce } from './booking-once.js';
import { hasPassed, isExpired } from './expiry.js';
import type { WorkflowServices } from './services.js';
import { WF17Payload, WF17Manifest } from '../manifests/WF17_RealTime_Voice_Orchestrator.js';

/** Below this speech-recognition confidence the caller is asked again (tenant config `voice_min_confidence`). */
export const DEFAULT_MIN_CONFIDENCE = 0.5;
/** At most this many slots are offered in one breath. */
const MAX_OFFERED = 2;

type Ctx = RunContext<WF17Payload>;

interface TurnDecision {
  intent: VoiceIntent | 'low_confidence';
  reply: VoiceReply;
  state: CallState;
  next?: NextActionInput[];
  appointmentId?: string;
}

/**
 * One turn of a live call: understand the caller's words, act (look up free slots, book through
 * the PMS once), and say what comes next. The call's state between turns is in PostgreSQL by
 * CallSid; the reply goes back to the waiting voice webhook as `primary_outputs.reply`.
 *
 * A voice turn is not retried: once the caller has been handed to the front desk at the deadline,
 * a late second attempt would act behind the staff's back. Its booking is journaled against a
 * deduping PMS, so a redelivered turn (a worker died) books once.
 */
export function WF17_RealTime_Voice_Orchestrator(services: WorkflowServices) {
  return defineWorkflow({
    ...WF17Manifest,
    async run(ctx) {
      const calls = services.calls;
      if (!calls) throw new WorkflowError('config_missing', 'voice call state store is not configured on this worker', { stage: 'core_logic' });
      const p = ctx.payload;
      const tenantId = ctx.envelope.meta.tenant_id;
      const previous = await calls.before(tenantId, p.call_sid, p.turn);
      const decision = await decide(ctx, services, previous);
      await calls.save({ tenantId, callSid: p.call_sid, turn: p.turn, workflowRunId: ctx.envelope.meta.workflow_run_id, intent: decision.intent, state: decision.state });
      ctx.recordDataWritten('voice_call_turns', `${p.call_sid}:${p.turn}`);
      return {
        summary: `voice turn ${p.turn}: ${decision.intent} → ${decision.reply.then}`,
        primary_outputs: {
          call_sid: p.call_sid,
          turn: p.turn,
          intent: decision.intent,
          stage: decision.state.stage,
          reply: decision.reply,
          offered_slots: decision.state.offered_slots,
          ...(decision.appointmentId ? { appointment_id: decision.appointmentId } : {}),
        },
        next_actions: decision.next ?? [],
      };
    },
  });
}

async function decide(ctx: Ctx, services: WorkflowServices, state: CallState): Promise<TurnDecision> {
  const p = ctx.payload;
  const config = ctx.tenant.config;
  const minConfidence = typeof config.voice_min_confidence === 'number' ? config.voice_min_confidence : DEFAULT_MIN_CONFIDENCE;
  if (p.confidence !== undefined && p.confidence < minConfidence) {
    return { intent: 'low_confidence', reply: gather('Sorry, I did not catch that. Could you say it again?'), state };
  }
  const timeZone = isTimeZone(config.timezone) ? config.timezone : 'UTC';
  const now = new Date(ctx.envelope.meta.accepted_at_utc ?? ctx.envelope.meta.timestamp_utc);
  const intent = classifyUtterance(p.speech_result, now, timeZone);
  const offered = state.stage === 'offered' ? state.offered_slots : [];

  switch (intent) {
    case 'talk_to_staff':
      return { intent, reply: dial('Connecting you to the front desk.'), state: { ...state, stage: 'ended' } };
    case 'cancel':
    case 'reschedule':
    case 'confirm':
      // Changing an existing appointment needs the front desk: the PMS adapter cannot look one up by caller yet.
      return { intent, reply: dial(`To ${intent === 'confirm' ? 'confirm' : intent === 'cancel' ? 'cancel' : 'change'} an appointment, let me connect you to the front desk.`), state: { ...state, stage: 'ended' } };
    case 'yes':
    case 'second': {
      const slot = intent === 'second' ? offered[1] : offered[0];
      if (!slot) {
        if (intent === 'yes' && state.stage === 'booked') return { intent, reply: hangup('You are all set. Goodbye.'), state: { ...state, stage: 'ended' } };
        return { intent, reply: gather('I can book an appointment, or connect you to the front desk. What would you like?'), state };
      }
      return book(ctx, services, state, slot, timeZone, intent);
    }
    case 'no':
      if (offered.length > 0) return { intent, reply: gather('No problem. What other day and time would suit you?'), state: { ...state, stage: 'asking_time', offered_slots: [] } };
      return { intent, reply: hangup(farewell(config)), state: { ...state, stage: 'ended' } };
    case 'goodbye':
      return { intent, reply: hangup(farewell(config)), state: { ...state, stage: 'ended' } };
    case 'book':
    case 'time_only': {
      if (intent === 'time_only' && state.stage !== 'asking_time' && state.stage !== 'offered') {
        return { intent, reply: gather('Would you like to book an appointment at that time? Please say book, and the day and time.'), state };
      }
      const asked = parseAskedTime(p.speech_result, now, timeZone);
      if (!asked || !asked.hourKnown) {
        return { intent, reply: gather('Sure. What day and time would suit you?'), state: { ...state, stage: 'asking_time', offered_slots: [] } };
      }
      return offer(ctx, services, state, asked.at, timeZone, intent);
    }
    case 'unknown':
      return { intent, reply: gather('Sorry, I can book an appointment, or connect you to the front desk. What would you like?'), state };
  }
}

/** Finds who is calling and the free slots nearest the asked time, and offers at most two. */
async function offer(ctx: Ctx, services: WorkflowServices, state: CallState, at: Date, timeZone: string, intent: VoiceIntent): Promise<TurnDecision> {
  const practiceId = typeof ctx.tenant.config.practice_id === 'string' ? ctx.tenant.config.practice_id : null;
  if (!practiceId) return { intent, reply: dial('Let me connect you to the front desk to book that.'), state: { ...state, stage: 'ended' } };
  const patientId = state.patient_id ?? ctx.envelope.subject.patient_id ?? (await findCaller(ctx, services));
  if (!patientId) {
    return { intent, reply: dial('I could not find your record from this number. Let me connect you to the front desk.'), state: { ...state, stage: 'ended' } };
  }
  // A read, safe to repeat: journaled so a redelivered turn offers exactly what it offered before.
  const found = await ctx.effect(
    'pms.free_slots',
    { service: 'pms_adapter', endpoint: 'slots.free', eventType: 'voice.slots_offered', direction: 'internal', vendorDedupes: true },
    ({ signal }) =>
      services.pms
        .findFreeSlots({ practiceId, near: at.toISOString(), limit: MAX_OFFERED }, { signal })
        // A free slot that has already begun is no slot to offer.
        .then((r) => r.slots.filter((s) => !hasPassed(s.start)).slice(0, MAX_OFFERED).map((s): OfferedSlot => ({ start: s.start, provider_id: s.providerId }))),
  );
  if (found.length === 0) {
    return { intent, reply: gather('I have nothing free near that time. What other day and time would suit you?'), state: { ...state, patient_id: patientId, stage: 'asking_time', offered_slots: [] } };
  }
  const spoken = found.map((s) => speakTime(s.start, timeZone));
  const say =
    found.length === 1
      ? `I have ${spoken[0]}. Would that work? Please say yes or no.`
      : `I have ${spoken[0]}, or ${spoken[1]}. Say yes for the first, or say the second one.`;
  return { intent, reply: gather(say), state: { ...state, patient_id: patientId, stage: 'offered', offered_slots: found } };
}

/** The caller on the PMS's records, by the number they call from (null when unknown or ambiguous). */
async function findCaller(ctx: Ctx, services: WorkflowServices): Promise<string | null> {
  const from = ctx.payload.from;
  if (!from) return null;
  const found = await ctx.effect<{ patient_id: string | null }>(
    'pms.find_caller',
    // The event keeps whether a record was found, never the number.
    { service: 'pms_adapter', endpoint: 'patients.search', eventType: 'voice.caller_identified', direction: 'internal', vendorDedupes: true, eventPayload: (r) => ({ found: r.patient_id !== null }) },
    ({ signal }) => services.pms.findPatientByPhone({ phone: from }, { signal }).then((r) => ({ patient_id: r.patientId })),
  );
  return found.patient_id;
}

/** Books the chosen slot through the PMS, once per turn (the journal and the PMS's Idempotency-Key), and asks for the confirmation text. */
async function book(ctx: Ctx, services: WorkflowServices, state: CallState, slot: OfferedSlot, timeZone: string, intent: VoiceIntent): Promise<TurnDecision> {
  const practiceId = typeof ctx.tenant.config.practice_id === 'string' ? ctx.tenant.config.practice_id : null;
  const patientId = state.patient_id ?? ctx.envelope.subject.patient_id ?? null;
  if (!practiceId || !patientId) return { intent, reply: dial('Let me connect you to the front desk to book that.'), state: { ...state, stage: 'ended' } };
  let booking;
  try {
    booking = await bookOnce(ctx, services.pms, { practiceId, patientId, slotStart: slot.start, providerId: slot.provider_id });
  } catch (error) {
    // The slot began while the caller was deciding: say so and ask again, rather than book the past.
    if (!isExpired(error)) throw error;
    return { intent, reply: gather('Sorry, that time has just gone. What other day and time would suit you?'), state: { ...state, patient_id: patientId, stage: 'asking_time', offered_slots: [] } };
  }
  const from = ctx.payload.from;
  const appointment = booking.appointment_id ? { appointment_id: booking.appointment_id } : {};
  // The confirmation names the appointment (a "C" reply confirms it) and its start (it is not sent once that has passed).
  const confirmation = { to: from, template: 'appointment_confirmation', ...appointment, appointment_at: slot.start };
  const next: NextActionInput[] = from ? [{ workflow: 'WF30_Send_SMS', payload: confirmation, priority: 'high' }] : [];
  const texted = from ? ' We will text you a confirmation.' : '';
  return {
    intent,
    reply: hangup(`You are booked for ${speakTime(slot.start, timeZone)}.${texted} Goodbye.`),
    state: { ...state, patient_id: patientId, stage: 'booked', offered_slots: [], ...(booking.appointment_id ? { appointment_id: booking.appointment_id } : {}) },
    next,
    ...(booking.appointment_id ? { appointmentId: booking.appointment_id } : {}),
  };
}

const gather = (say: string): VoiceReply => ({ say, then: 'gather' });
const dial = (say: string): VoiceReply => ({ say, then: 'dial' });
const hangup = (say: string): VoiceReply => ({ say, then: 'hangup' });


