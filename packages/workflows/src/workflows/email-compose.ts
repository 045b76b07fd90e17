/**
 * What an email we send looks like: from the practice by name (`practice_name`) at its address
 * (`email_from`), our fixed wording signed with that name, and, on every email that is not
 * transactional, List-Unsubscribe with one-click unsubscribe (RFC 8058) and the same link in the text.
 */
import { sealUnsubscribeToken, unsubscribeUrl, WorkflowError } from '@revos/envelope';
import type { EmailMessage } from '../adapters/index.js';
import { NEUTRAL_PRACTICE, practiceName, practiceText } from '../voice/practice-name.js';
import { configString, type WorkflowServices } from './services.js';

export interface EmailContent {
  subject: string;
  text: string;
  /** Answers something the patient did: no unsubscribe link. */
  transactional: boolean;
  /** Our fixed wording (signed) or the practice's own (sent as written, `{practice}` filled in). */
  ours: boolean;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** `"Sunrise Dental" <frontdesk@sunrise.example>`: the display name quoted (RFC 5322), so any name is safe in it. */
export function fromHeader(config: Record<string, unknown>): string {
  const name = practiceName(config) ?? capitalised(NEUTRAL_PRACTICE);
  return `"${name.replace(/(["\\])/g, '\\$1')}" <${configString(config, 'email_from')}>`;
}

/** An email to `to`, without its reference (the effect adds it). */
export function composeEmail(
  services: Pick<WorkflowServices, 'emailLinks'>,
  tenant: { tenantId: string; config: Record<string, unknown> },
  to: string,
  content: EmailContent,
  tag: string,
): Omit<EmailMessage, 'reference'> {
  const { config } = tenant;
  const name = practiceName(config) ?? capitalised(NEUTRAL_PRACTICE);
  const subject = content.ours ? `${content.subject} - ${name}` : practiceText(content.subject, config);
  let text = content.ours ? `${content.text}\n\n${name}` : practiceText(content.text, config);
  const headers: Record<string, string> = {};
  if (!content.transactional) {
    if (!services.emailLinks) {
      throw new WorkflowError('config_missing', 'an email that is not transactional needs a one-click unsubscribe link: set PUBLIC_BASE_URL on the worker', {
        stage: 'core_logic',
        details: { missing: ['PUBLIC_BASE_URL'] },
      });
    }
    const link = unsubscribeUrl(services.emailLinks.publicBaseUrl, tenant.tenantId, sealUnsubscribeToken(services.emailLinks.secret, tenant.tenantId, to));
    headers['List-Unsubscribe'] = `<${link}>`;
    headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
    text += `\n\nTo stop receiving these emails from ${name}, unsubscribe here: ${link}`;
  }
  const replyTo = config['email_reply_to'];
  return {
    to,
    from: fromHeader(config),
    ...(typeof replyTo === 'string' && replyTo !== '' ? { replyTo } : {}),
    subject,
    text,
    headers,
    tag,
  };
}
