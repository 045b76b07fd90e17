import { isWorkflowError, WorkflowError } from '@revos/envelope';
import { defineWorkflow, type RunContext } from '@revos/runtime';
import { practiceText, signedText } from '../voice/practice-name.js';
import { expiredError, hasPassed, isExpired, recordExpiry } from './expiry.js';
import { twilioAnswer, type TwilioCreatedRef } from './reconcile-answers.js';
import { configString, type WorkflowServices } from './services.js';
import { TEMPLATES, type WF30Payload, WF30Manifest } from '../manifests/WF30_Send_SMS.js';

/**
 * Sends one text through the SMS provider, exactly once per trigger, after Consent_Check (the
 * patient's consent and the destination number's opt-out). A number the carrier reports unsubscribed
 * (Twilio 21610) is recorded as opted out and the run ends `blocked` / `consent_denied`. A reminder
 * naming its `appointment_id` lets a "C" reply from that number confirm the appointment; one naming
 * its `appointment_at` is not sent once that has passed (`blocked` / `expired`, an `sms.expired` event).
 * A template goes out signed with the practice's name (`practice_name`), a free `body` as written.
 */
export function WF30_Send_SMS(services: WorkflowServices) {
  return defineWorkflow({
    ...WF30Manifest,
    async run(ctx) {
      const config = ctx.tenant.config;
      const template = ctx.payload.template ? TEMPLATES[ctx.payload.template] : undefined;
      const body = ctx.payload.body !== undefined ? practiceText(ctx.payload.body, config) : template && signedText(template, config);
      if (!body) throw new WorkflowError('invalid_input', 'no message text', { stage: 'core_logic' });
      const from = configString(ctx.tenant.config, 'sms_from');
      const message = { to: ctx.payload.to, from, body };
      const sent = await sendOnce(ctx, message).catch(async (error: unknown) => {
        if (isWorkflowError(error) && error.code === 'consent_denied' && error.details?.['recipientOptedOut'] === true) {
          // The carrier holds an opt-out we did not know of: keep it, so no other subject's text tries again.
          await ctx.patients.setAddressConsent({ address: ctx.payload.to, channel: 'sms', status: 'deny', source: 'twilio_21610', evidenceRef: ctx.envelope.meta.workflow_run_id });
        }
        if (isExpired(error)) await recordExpiry(ctx, 'sms.expired', error);
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
        ({ signal, idempotencyToken }) => {
          // Checked here, where the text would leave: a text an earlier attempt sent is never called stale.
          const at = ctx.payload.appointment_at;
          if (at !== undefined && hasPassed(at)) return Promise.reject(expiredError('appointment_at', at));
          return services.sms.sendMessage(message, { signal, idempotencyToken, tenantId: ctx.envelope.meta.tenant_id }).then((r) => ({ sid: r.sid, status: r.status }));
        },
      );
  }
}
