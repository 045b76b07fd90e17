import { defineWorkflow } from '@revos/runtime';
import { twilioAnswer, type TwilioCreatedRef, type WorkflowServices } from '@revos/workflows';
import type { z } from 'zod';
import { WF99Manifest, type WF99Payload } from './manifests.js';

const VISIT: Record<z.infer<typeof WF99Payload>['recall'], string> = { hygiene: 'hygiene visit', annual_exam: 'annual exam' };

/**
 * WF99's handler, bound to its manifest (./manifests.ts) and the worker's SMS adapter. Texts a
 * patient that a recall visit is due: one text per trigger, however often the trigger is delivered,
 * after Consent_Check (outbound sms, consent of subject.patient_id). The text goes through
 * ctx.effect, so a retried or re-delivered run reuses the journaled send.
 */
export function WF99_Recall_Reminder(services: WorkflowServices) {
  return defineWorkflow({
    ...WF99Manifest,
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
        ({ signal, idempotencyToken }) => services.sms.sendMessage(message, { signal, idempotencyToken, tenantId: ctx.envelope.meta.tenant_id }).then((r) => ({ sid: r.sid, status: r.status })),
      );
      // A 2xx whose body was unreadable: sent, its id unknown.
      if (sent.sid) ctx.recordDataWritten('twilio.messages', sent.sid);
      return { summary: `recall reminder ${sent.status}`, primary_outputs: { message_sid: sent.sid, recall: ctx.payload.recall } };
    },
  });
}
