/**
 * One email, sent at most once per (run, effect). Neither transport dedupes, so a send whose outcome
 * is unknown is never repeated blindly: through Postmark it is looked up by the reference it carried
 * (message metadata), and an absence is trusted only after the listing delay; through an SMTP relay,
 * which cannot be asked, it goes to a person (the run fails `effect_outcome_unknown` with a task).
 */
import type { ReconcileAnswer, RunContext } from '@revos/runtime';
import type { EmailLookupResult, EmailMessage, EmailProvider } from '../adapters/index.js';

/** A type, not an interface: it is returned as `primary_outputs` (a record). */
export type EmailSentRef = {
  message_id: string | null;
  status: string;
};

export function emailAnswer(lookup: EmailLookupResult): ReconcileAnswer<EmailSentRef> {
  const evidence = { examined: lookup.examined, pages: lookup.pages };
  const [only, ...others] = lookup.matches;
  if (!only) return { kind: 'absent', evidence };
  if (others.length === 0) return { kind: 'found', resource: { message_id: only.messageId, status: only.status }, evidence: { ...evidence, message_id: only.messageId } };
  return { kind: 'undecidable', reason: `${lookup.matches.length} emails carry our reference`, evidence: { ...evidence, message_ids: lookup.matches.map((m) => m.messageId) } };
}

export interface EmailEffect {
  /** The effect's name in the journal (`email.send`, `email.reply`). */
  name: string;
  eventType: string;
  /** The event's payload: vendor ids and codes, never the address or the words. */
  eventPayload: (sent: EmailSentRef) => Record<string, unknown>;
  /** Checked where the email would leave (an appointment that has passed); rejects to send nothing. */
  beforeSend?: () => Promise<void>;
}

export function sendEmailOnce(ctx: Pick<RunContext<unknown>, 'effect'>, email: EmailProvider, effect: EmailEffect, message: Omit<EmailMessage, 'reference'>): Promise<EmailSentRef> {
  const find = email.findEmails?.bind(email);
  return ctx.effect<EmailSentRef>(
    effect.name,
    {
      service: email.transport,
      endpoint: 'email.send',
      eventType: effect.eventType,
      vendorDedupes: false,
      target: message.to,
      ...(find ? { reconcile: async ({ intentAt, signal, idempotencyToken }) => emailAnswer(await find({ ...message, reference: idempotencyToken }, intentAt, { signal })) } : {}),
      eventPayload: effect.eventPayload,
    },
    async ({ signal, idempotencyToken }) => {
      await effect.beforeSend?.();
      const sent = await email.sendEmail({ ...message, reference: idempotencyToken }, { signal });
      return { message_id: sent.messageId, status: sent.status };
    },
  );
}
