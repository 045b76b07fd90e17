import { WorkflowError } from '@revos/envelope';
import { defineWorkflow } from '@revos/runtime';
import { z } from 'zod';
import { twilioAnswer, type TwilioCreatedRef } from './reconcile-answers.js';
import { configString, type WorkflowServices } from './services.js';

/** Fixed texts; free text comes in `body`. Neither is ever logged or stored in events. */
const TEMPLATES = {
  appointment_confirmation: 'Your appointment is booked. Reply C to confirm or call us to change it.',
  appointment_reminder: 'Reminder: you have an appointment with us soon. Reply C to confirm.',
} as const;

/** Sends one text through the SMS provider, exactly once per trigger, after Consent_Check. */
export function WF30_Send_SMS(services: WorkflowServices) {
  return defineWorkflow({
    name: 'WF30_Send_SMS',
    version: '1.0.0',
    lane: 'interactive',
    channel: 'sms',
    outbound: { channel: 'sms', subject: 'patient_id' },
    requiresConfig: ['sms_from'],
    payload: z
      .object({
        to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number'),
        template: z.enum(Object.keys(TEMPLATES) as [keyof typeof TEMPLATES]).optional(),
        body: z.string().min(1).max(1600).optional(),
      })
      .strict()
      .refine((p) => (p.template === undefined) !== (p.body === undefined), 'exactly one of template or body'),
    async run(ctx) {
      const body = ctx.payload.body ?? TEMPLATES[ctx.payload.template!];
      if (!body) throw new WorkflowError('invalid_input', 'no message text', { stage: 'core_logic' });
      const from = configString(ctx.tenant.config, 'sms_from');
      const message = { to: ctx.payload.to, from, body };
      const sent = await ctx.effect<TwilioCreatedRef>(
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
      // A 2xx whose body was unreadable: sent, its id unknown.
      if (sent.sid) ctx.recordDataWritten('twilio.messages', sent.sid);
      return { summary: `sms ${sent.status}`, primary_outputs: { message_sid: sent.sid, status: sent.status } };
    },
  });
}
