import { defineWorkflow, type RunContext } from '@revos/runtime';
import type { EmailProvider } from '../adapters/index.js';
import { WF37Manifest, type WF37Payload } from '../manifests/WF37_Inbound_Email.js';
import { composeEmail } from './email-compose.js';
import { sendEmailOnce } from './email-once.js';
import type { WorkflowServices } from './services.js';
import { classifyReply } from './sms-keywords.js';

/** Our fixed answers to an email, signed with the practice's name; no PHI, no marketing. */
export const EMAIL_REPLIES = {
  stop: { subject: 'You are unsubscribed', text: 'You are unsubscribed and will receive no more emails from us. Reply START to subscribe again.' },
  start: { subject: 'You are subscribed again', text: 'You will receive our emails again. Reply STOP to unsubscribe.' },
  received: { subject: 'We received your email', text: 'Thank you for your email. Our team has it and will get back to you.' },
} as const;

type EmailIntent = 'stop' | 'start' | 'other';
type Ctx = RunContext<WF37Payload>;
type Services = WorkflowServices & { email: EmailProvider };

/**
 * An inbound email (Postmark's inbound webhook), once per Postmark MessageID. Keeps an inbound event
 * with the vendor id, the intent and the attachment count (never the address, the subject or the
 * words), then acts:
 * - STOP / UNSUBSCRIBE as the email's first word denies email to the sending address for every
 *   subject of the tenant and confirms once; START re-allows it and confirms.
 * - Anything else opens a staff task (a person reads it in the practice's mailbox) and answers once
 *   that it was received, threaded to the patient's email (In-Reply-To).
 * Nothing is answered to an address that opted out, nor to an automatic email (`auto_submitted`).
 * Attachments are known by name, type and size only; their contents never reach the run.
 */
export function WF37_Inbound_Email(services: Services) {
  return defineWorkflow({
    ...WF37Manifest,
    async run(ctx) {
      const p = ctx.payload;
      const { intent } = await ctx.effect(
        'event.inbound',
        {
          service: 'revos',
          endpoint: 'events.log',
          eventType: 'email.received',
          direction: 'inbound',
          eventPayload: (r) => ({ message_id: p.message_id, intent: (r as { intent: EmailIntent }).intent, attachments: p.attachments.length }),
        },
        async () => ({ intent: decideIntent(p) }),
      );
      const outputs: Record<string, unknown> = { message_id: p.message_id, intent, attachments: p.attachments.length };
      if (intent === 'stop' || intent === 'start') {
        const change = await ctx.patients.setAddressConsent({ address: p.from, channel: 'email', status: intent === 'stop' ? 'deny' : 'allow', source: 'email_keyword', evidenceRef: p.message_id });
        outputs.consent_changed = change.changed;
        ctx.log.info({ intent, consent_changed: change.changed, message_id: p.message_id }, intent === 'stop' ? 'address opted out of email' : 'address opted back in to email');
        // Opted out before this email (not by an earlier attempt of this run): they had their one confirmation.
        const already = intent === 'stop' && !change.changed && change.previousEvidenceRef !== p.message_id;
        outputs.reply_message_id = already || p.auto_submitted ? null : await reply(ctx, services, intent);
        return { summary: `inbound email: ${intent}, address ${intent === 'stop' ? 'opted out' : 'opted in'}`, primary_outputs: outputs };
      }
      const task = await ctx.patients.openTask('patient_email', 'a patient emailed the practice: read it in the practice mailbox and answer');
      ctx.recordDataWritten('tasks', task.taskId);
      outputs.task_id = task.taskId;
      const optedOut = (await ctx.patients.addressConsent(p.from, 'email')) === 'deny';
      outputs.reply_message_id = optedOut || p.auto_submitted ? null : await reply(ctx, services, 'received');
      return { summary: 'inbound email: staff task opened', primary_outputs: outputs };
    },
  });
}

/** STOP / START as the first word of the new text, or of the subject line ("Unsubscribe"). */
function decideIntent(p: WF37Payload): EmailIntent {
  const firstLine = p.text.split(/\r?\n/).find((line) => line.trim() !== '') ?? '';
  for (const candidate of [firstLine, p.subject_line]) {
    const intent = classifyReply(candidate);
    if (intent === 'stop' || intent === 'start') return intent;
  }
  return 'other';
}

/** Answers the sender once per inbound MessageID (the run's trigger), threaded to their email. Transactional: no unsubscribe link. */
async function reply(ctx: Ctx, services: Services, kind: keyof typeof EMAIL_REPLIES): Promise<string | null> {
  const p = ctx.payload;
  const words = EMAIL_REPLIES[kind];
  const message = composeEmail(services, ctx.tenant, p.from, { ...words, transactional: true, ours: true }, `reply_${kind}`);
  if (p.message_id_header) message.headers = { ...message.headers, 'In-Reply-To': p.message_id_header, References: p.message_id_header };
  const sent = await sendEmailOnce(ctx, services.email, { name: 'email.reply', eventType: `email.reply_${kind}`, eventPayload: (r) => ({ message_id: r.message_id, in_reply_to: p.message_id }) }, message);
  if (sent.message_id) ctx.recordDataWritten(`${services.email.transport}.messages`, sent.message_id);
  return sent.message_id;
}
