import { defineWorkflow } from '@revos/runtime';
import { twilioAnswer, type TwilioCreatedRef, type WorkflowServices } from '@revos/workflows';
import { z } from 'zod';

/** What a caller sends: checked by the producer before it answers, and again by the worker. */
export const WF99Payload = z
  .object({
    to: z.string().regex(/^\+[1-9]\d{6,14}$/, 'must be an E.164 phone number'),
    recall: z.enum(['hygiene', 'annual_exam']),
    due_by: z.iso.date(),
  })
  .strict();
export type WF99Payload = z.input<typeof WF99Payload>;

const VISIT: Record<z.infer<typeof WF99Payload>['recall'], string> = { hygiene: 'hygiene visit', annual_exam: 'annual exam' };

/**
 * Texts a patient that a recall visit is due: one text per trigger, however often the trigger is
 * delivered, after Consent_Check (outbound sms, consent of subject.patient_id). The text goes
 * through ctx.effect, so a retried or re-delivered run reuses the journaled send.
 */
export function WF99_Recall_Reminder(services: WorkflowServices) {
  return defineWorkflow({
    name: 'WF99_Recall_Reminder',
    version: '1.0.0',
    lane: 'interactive',
    channel: 'sms',
    // Consent_Check: the patient's consent and the destination number's opt-out (payload.to).
    outbound: { channel: 'sms', subject: 'patient_id', address: 'to' },
    requiresConfig: ['sms_from'],
    payload: WF99Payload,
    async run(ctx) {
      const from = String(ctx.tenant.config.sms_from);
      const body = `Your ${VISIT[ctx.payload.recall]} is due by ${ctx.payload.due_by}. Reply or call us to book.`;
      const message = { to: ctx.payload.to, from, body };
      const sent = await ctx.effect<TwilioCreatedRef>(
        'sms.recall',
        {
          service: 'twilio',
          endpoint: 'messages.create',
          eventType: 'recall.reminder_sent',
          // Twilio is not trusted to dedupe: a send whose answer was lost is looked up, never repeated blindly.
          vendorDedupes: false,
          target: ctx.payload.to,
          reconcile: async ({ intentAt, signal }) => twilioAnswer(await services.sms.findMessages(message, intentAt, { signal })),
          // The event keeps the message id and the kind of recall, never the number or the text.
          eventPayload: (r) => ({ message_sid: r.sid, recall: ctx.payload.recall }),
        },
        ({ signal, idempotencyToken }) => services.sms.sendMessage(message, { signal, idempotencyToken }).then((r) => ({ sid: r.sid, status: r.status })),
      );
      // A 2xx whose body was unreadable: sent, its id unknown.
      if (sent.sid) ctx.recordDataWritten('twilio.messages', sent.sid);
      return { summary: `recall reminder ${sent.status}`, primary_outputs: { message_sid: sent.sid, recall: ctx.payload.recall } };
    },
  });
}
