import { isWorkflowError, PhoneAddress, WorkflowError } from '@revos/envelope';
import { defineWorkflow, type RunContext } from '@revos/runtime';
import { z } from 'zod';
import { twilioAnswer, type TwilioCreatedRef } from './reconcile-answers.js';
import { configString, type WorkflowServices } from './services.js';

/** Fixed texts; free text comes in `body`. Neither is ever logged or stored in events. */
const TEMPLATES = {
  appointment_confirmation: 'Your appointment is booked. Reply C to confirm or call us to change it.',
  appointment_reminder: 'Reminder: you have an appointment with us soon. Reply C to confirm.',
} as const;

export const WF30Payload = z
  .object({
    to: PhoneAddress,
    template: z.enum(Object.keys(TEMPLATES) as [keyof typeof TEMPLATES]).optional(),
    body: z.string().min(1).max(1600).optional(),
    /** The appointment a reminder or confirmation is about: a "C" reply then confirms it. */
    appointment_id: z.string().min(1).max(200).optional(),
  })
  .strict()
  .refine((p) => (p.template === undefined) !== (p.body === undefined), 'exactly one of template or body');
type WF30Payload = z.infer<typeof WF30Payload>;

/**
 * Sends one text through the SMS provider, exactly once per trigger, after Consent_Check (the
 * patient's consent and the destination number's opt-out). A number the carrier reports unsubscribed
 * (Twilio 21610) is recorded as opted out and the run ends `blocked` / `consent_denied`. A reminder
 * naming its `appointment_id` lets a "C" reply from that number confirm the appointment.
 */
export function WF30_Send_SMS(services: WorkflowServices) {
  return defineWorkflow({
    name: 'WF30_Send_SMS',
    version: '1.1.0',
    lane: 'interactive',
    channel: 'sms',
    outbound: { channel: 'sms', subject: 'patient_id', address: 'to' },
    requiresConfig: ['sms_from'],
    payload: WF30Payload,
    async run(ctx) {
      const body = ctx.payload.body ?? TEMPLATES[ctx.payload.template!];
      if (!body) throw new WorkflowError('invalid_input', 'no message text', { stage: 'core_logic' });
      const from = configString(ctx.tenant.config, 'sms_from');
      const message = { to: ctx.payload.to, from, body };
      const sent = await sendOnce(ctx, message).catch(async (error: unknown) => {
        if (isWorkflowError(error) && error.code === 'consent_denied' && error.details?.['recipientOptedOut'] === true) {
          // The carrier holds an opt-out we did not know of: keep it, so no other subject's text tries again.
          await ctx.patients.setAddressConsent({ address: ctx.payload.to, channel: 'sms', status: 'deny', source: 'twilio_21610', evidenceRef: ctx.envelope.meta.workflow_run_id });
        }
        throw error;
      });
      // A 2xx whose body was unreadable: sent, its id unknown.
      if (sent.sid) ctx.recordDataWritten('twilio.messages', sent.sid);
      await ctx.patients.rememberContact(ctx.payload.to);
      if (ctx.payload.appointment_id) await ctx.patients.recordAppointmentPrompt(ctx.payload.appointment_id, ctx.payload.to);
      return { summary: `sms ${sent.status}`, primary_outputs: { message_sid: sent.sid, status: sent.status } };
    },
  });

  function sendOnce(ctx: RunContext<WF30Payload>, message: { to: string; from: string; body: string }) {
    return ctx.effect<TwilioCreatedRef>(
        'sms.send',
        {
          service: 'twilio',
          endpoint: 'messages.create',
          eventType: 'sms.sent',
          // We send Twilio an idempotency token, but do not stake a patient's inbox on it: a send whose
          // outcome is unknown is looked up (by To, From, body and time), never sent again blindly.
          vendorDedupes: false,
          target: ctx.payload.to,
          reconcile: async ({ intentAt, signal }) => twilioAnswer(await services.sms.findMessages(message, intentAt, { signal })),
          // The event keeps the vendor's message id, never the number or the text.
          eventPayload: (r) => ({ message_sid: r.sid, template: ctx.payload.template ?? null }),
        },
        ({ signal, idempotencyToken }) =>
          services.sms.sendMessage(message, { signal, idempotencyToken }).then((r) => ({ sid: r.sid, status: r.status })),
      );
  }
}
