import { isWorkflowError } from '@revos/envelope';
import { defineWorkflow, type RunContext } from '@revos/runtime';
import { z } from 'zod';
import { practiceText, signedText } from '../voice/practice-name.js';
import { twilioAnswer, type TwilioCreatedRef } from './reconcile-answers.js';
import { configString, type WorkflowServices } from './services.js';
import { classifyReply, isYes, type ReplyIntent } from './sms-keywords.js';
import { WF31Payload as Payload, WF31Manifest } from '../manifests/WF31_Inbound_SMS.js';

export { classifyReply } from './sms-keywords.js';

/**
 * Fixed answers to keywords: no marketing, no PHI. Each goes out signed with the practice's name
 * (tenant config `practice_name`; "Your care team" without one), never with the tenant id.
 */
export const KEYWORD_REPLIES = {
  stop: 'you are unsubscribed and will receive no more texts from us. Reply START to resubscribe.',
  start: 'you are subscribed to texts again. Reply STOP to unsubscribe, HELP for help.',
  help: 'appointment reminders and updates. Reply STOP to unsubscribe. Msg & data rates may apply.',
  confirmed: 'thank you, your appointment is confirmed.',
} as const;

type Ctx = RunContext<z.infer<typeof Payload>>;

/**
 * An inbound text (Twilio webhook), once per MessageSid. Logs it as an inbound event keeping only the
 * vendor id and the classified intent, then acts on it:
 * - STOP and plain-language opt-outs deny texts to the sending number for every subject of the
 *   tenant, and confirm once; a STOP from a number already opted out sends nothing (an
 *   `sms.reply_skipped` event says why); START / UNSTOP / YES re-allow and confirm; HELP / INFO answer the
 *   tenant's help text (config `sms_help_text`).
 * - C / YES / CONFIRM after an appointment reminder confirm that appointment at the PMS.
 * - A reschedule request opens a staff task.
 * Every reply and PMS call is a journaled effect, so a webhook Twilio delivers twice acts once.
 */
export function WF31_Inbound_SMS(services: WorkflowServices) {
  return defineWorkflow({
    ...WF31Manifest,
    async run(ctx) {
      const p = ctx.payload;
      // The intent is decided once and journaled with the inbound event: a retried attempt acts on the
      // same decision even after this run changed what it depends on (a YES that re-allowed the number).
      const { intent } = await ctx.effect(
        'event.inbound',
        {
          service: 'revos',
          endpoint: 'events.log',
          eventType: 'sms.received',
          direction: 'inbound',
          eventPayload: (r) => ({ message_sid: p.message_sid, intent: (r as { intent: ReplyIntent }).intent }),
        },
        async () => ({ intent: await decideIntent(ctx) }),
      );
      const outputs: Record<string, unknown> = { message_sid: p.message_sid, intent };
      switch (intent) {
        case 'stop':
        case 'start': {
          const change = await ctx.patients.setAddressConsent({
            address: p.from,
            channel: 'sms',
            status: intent === 'stop' ? 'deny' : 'allow',
            source: 'sms_keyword',
            evidenceRef: p.message_sid,
          });
          outputs.consent_changed = change.changed;
          // Ids and codes only: never the number or the text.
          ctx.log.info({ intent, consent_changed: change.changed, message_sid: p.message_sid }, intent === 'stop' ? 'number opted out of sms' : 'number opted back in to sms');
          // Opted out before this message (not by an earlier attempt of this run, whose evidence is this
          // message): the patient had their one confirmation, and a second text is what they asked us to stop.
          if (intent === 'stop' && !change.changed && change.previousEvidenceRef !== p.message_sid) {
            await noteReplySkipped(ctx, 'already_opted_out');
            outputs.reply_sid = null;
            outputs.reply_skipped = 'already_opted_out';
            return { summary: 'inbound sms: stop, number already opted out; nothing sent', primary_outputs: outputs };
          }
          outputs.reply_sid = await reply(ctx, services, intent);
          return { summary: `inbound sms: ${intent}, number ${intent === 'stop' ? 'opted out' : 'opted in'}`, primary_outputs: outputs };
        }
        case 'help':
          outputs.reply_sid = await reply(ctx, services, 'help');
          return { summary: 'inbound sms: help answered', primary_outputs: outputs };
        case 'confirm':
          return confirmAppointment(ctx, services, outputs);
        case 'reschedule': {
          const prompt = await ctx.patients.findAppointmentPrompt(p.from, p.message_sid);
          const task = await ctx.patients.openTask(
            'reschedule_request',
            prompt ? `patient asked by text to reschedule appointment ${prompt.appointmentId}` : 'patient asked by text to reschedule',
          );
          if (prompt) await ctx.patients.answerAppointmentPrompt(prompt.appointmentId, 'reschedule', p.message_sid);
          ctx.recordDataWritten('tasks', task.taskId);
          return { summary: 'inbound sms: reschedule request, staff task opened', primary_outputs: { ...outputs, task_id: task.taskId, appointment_id: prompt?.appointmentId ?? null } };
        }
        case 'other':
          return { summary: 'inbound sms: other', primary_outputs: outputs };
      }
    },
  });
}

async function decideIntent(ctx: Ctx): Promise<ReplyIntent> {
  const intent = classifyReply(ctx.payload.body);
  // A bare YES from an opted-out number is an opt-in (CTIA); otherwise it confirms.
  if (intent === 'confirm' && isYes(ctx.payload.body) && (await ctx.patients.addressConsent(ctx.payload.from, 'sms')) === 'deny') return 'start';
  return intent;
}

/** Confirms the appointment the latest open reminder to this number was about, once, through the PMS. */
async function confirmAppointment(ctx: Ctx, services: WorkflowServices, outputs: Record<string, unknown>) {
  const p = ctx.payload;
  const prompt = await ctx.patients.findAppointmentPrompt(p.from, p.message_sid);
  if (!prompt) return { summary: 'inbound sms: confirm, but no open reminder to this number', primary_outputs: { ...outputs, appointment_id: null } };
  const confirmed = await ctx.effect(
    'pms.confirm',
    { service: 'pms_adapter', endpoint: 'appointment.confirm', eventType: 'appointment.confirmed', vendorDedupes: true },
    ({ signal, idempotencyToken }) =>
      services.pms
        .confirmAppointment({ appointmentId: prompt.appointmentId }, { signal, idempotencyKey: idempotencyToken })
        .then((r) => ({ appointment_id: r.appointmentId, status: r.status })),
  );
  await ctx.patients.answerAppointmentPrompt(prompt.appointmentId, 'confirmed', p.message_sid);
  ctx.recordDataWritten('pms.appointments', confirmed.appointment_id);
  // A thank-you only to a number that has not opted out.
  const optedOut = (await ctx.patients.addressConsent(p.from, 'sms')) === 'deny';
  const replySid = optedOut ? null : await reply(ctx, services, 'confirmed');
  return {
    summary: `inbound sms: appointment ${confirmed.status}`,
    primary_outputs: { ...outputs, appointment_id: confirmed.appointment_id, appointment_status: confirmed.status, reply_sid: replySid },
  };
}

/**
 * Answers the sender from the number it texted, once per inbound MessageSid (the effect is keyed by
 * the run, whose trigger is the MessageSid). Not consent-gated: a keyword's confirmation is the one
 * message carriers require after an opt-out.
 */
async function reply(ctx: Ctx, services: WorkflowServices, kind: keyof typeof KEYWORD_REPLIES): Promise<string | null> {
  const configured = kind === 'help' ? ctx.tenant.config['sms_help_text'] : undefined;
  // The practice's own help text goes out as written ({practice} filled in); our sentences are signed.
  const body = typeof configured === 'string' && configured.trim() !== '' ? practiceText(configured, ctx.tenant.config) : signedText(KEYWORD_REPLIES[kind], ctx.tenant.config);
  const from = ctx.payload.to || configString(ctx.tenant.config, 'sms_from');
  let sent: TwilioCreatedRef;
  try {
    sent = await sendReply(ctx, services, kind, body, from);
  } catch (error) {
    // Twilio's own opt-out (21610) already answered the patient and blocks our sender: nothing to add.
    if (isWorkflowError(error) && error.code === 'consent_denied') return null;
    throw error;
  }
  // A 2xx whose body was unreadable: sent, its id unknown.
  if (sent.sid) ctx.recordDataWritten('twilio.messages', sent.sid);
  return sent.sid;
}

function sendReply(ctx: Ctx, services: WorkflowServices, kind: keyof typeof KEYWORD_REPLIES, body: string, from: string) {
  const message = { to: ctx.payload.from, from, body };
  return ctx.effect<TwilioCreatedRef>(
    'sms.reply',
    {
      service: 'twilio',
      endpoint: 'messages.create',
      eventType: `sms.reply_${kind}`,
      vendorDedupes: false,
      target: ctx.payload.from,
      // A confirmation whose answer was lost is looked up, never sent twice.
      reconcile: async ({ intentAt, signal }) => twilioAnswer(await services.sms.findMessages(message, intentAt, { signal })),
      eventPayload: (r) => ({ message_sid: r.sid, in_reply_to: ctx.payload.message_sid }),
    },
    ({ signal, idempotencyToken }) => services.sms.sendMessage(message, { signal, idempotencyToken, tenantId: ctx.envelope.meta.tenant_id }).then((r) => ({ sid: r.sid, status: r.status })),
  );
}

/** The run's `sms.reply_skipped` event: why an inbound keyword got no answer (a code, never the text). */
async function noteReplySkipped(ctx: Ctx, reason: 'already_opted_out'): Promise<void> {
  await ctx.effect(
    'sms.reply_skipped',
    { service: 'revos', endpoint: 'events.log', eventType: 'sms.reply_skipped', direction: 'internal', vendorDedupes: true },
    async () => ({ in_reply_to: ctx.payload.message_sid, reason }),
  );
}
