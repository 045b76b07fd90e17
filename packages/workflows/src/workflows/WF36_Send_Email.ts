import { isWorkflowError, WorkflowError } from '@revos/envelope';
import { defineWorkflow } from '@revos/runtime';
import { isRecipientOptedOut, type EmailProvider } from '../adapters/index.js';
import { EMAIL_TEMPLATES, WF36Manifest } from '../manifests/WF36_Send_Email.js';
import { composeEmail, type EmailContent } from './email-compose.js';
import { rememberEmailContact } from './email-contacts.js';
import { sendEmailOnce } from './email-once.js';
import { expiredError, hasPassed, isExpired, recordExpiry } from './expiry.js';
import type { WorkflowServices } from './services.js';

/**
 * Sends one email, exactly once per trigger, after Consent_Check (the patient's `email` consent and
 * the address's opt-out). A template goes out signed with the practice's name; a free `body` and
 * `subject_line` as written. Every email that is not transactional carries List-Unsubscribe and
 * one-click unsubscribe. An address the provider holds as inactive (a bounce, a complaint) is recorded
 * as denied and the run ends `blocked` / `consent_denied`; an appointment that has passed is never
 * written about (`blocked` / `expired`, an `email.expired` event).
 */
export function WF36_Send_Email(services: WorkflowServices & { email: EmailProvider }) {
  return defineWorkflow({
    ...WF36Manifest,
    async run(ctx) {
      const p = ctx.payload;
      const template = p.template ? EMAIL_TEMPLATES[p.template] : undefined;
      const content: EmailContent | undefined = template
        ? { subject: template.subject, text: template.text, transactional: template.transactional, ours: true }
        : p.body !== undefined && p.subject_line !== undefined
          ? { subject: p.subject_line, text: p.body, transactional: p.transactional ?? false, ours: false }
          : undefined;
      if (!content) throw new WorkflowError('invalid_input', 'no email text', { stage: 'core_logic' });
      const message = composeEmail(services, ctx.tenant, p.to, content, p.template ?? 'practice_email');
      const sent = await sendEmailOnce(ctx, services.email, {
        name: 'email.send',
        eventType: 'email.sent',
        eventPayload: (r) => ({ message_id: r.message_id, template: p.template ?? null, transactional: content.transactional }),
        beforeSend: async () => {
          // Checked where the email would leave: one an earlier attempt sent is never called stale.
          if (p.appointment_at !== undefined && hasPassed(p.appointment_at)) throw expiredError('appointment_at', p.appointment_at);
        },
      }, message).catch(async (error: unknown) => {
        if (isWorkflowError(error) && isRecipientOptedOut(error)) {
          // The provider holds a bounce or complaint we did not know of: keep it, for every subject.
          await ctx.patients.setAddressConsent({ address: p.to, channel: 'email', status: 'deny', source: 'postmark_inactive', evidenceRef: ctx.envelope.meta.workflow_run_id });
        }
        if (isExpired(error)) await recordExpiry(ctx, 'email.expired', error);
        throw error;
      });
      if (sent.message_id) ctx.recordDataWritten(`${services.email.transport}.messages`, sent.message_id);
      await rememberEmailContact(services, ctx, p.to);
      return { summary: `email ${sent.status}`, primary_outputs: { message_id: sent.message_id, status: sent.status } };
    },
  });
}
