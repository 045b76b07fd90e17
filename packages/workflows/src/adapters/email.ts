/**
 * Outbound email: what a workflow hands a transport, and what it gets back. Two transports implement
 * it: Postmark's REST API (email-postmark.ts), which can be asked afterwards what it sent, and a
 * plain SMTP relay (email-smtp.ts), which cannot. Addresses, subjects and bodies are PHI: nothing of
 * them appears in errors or logs.
 */
import { WorkflowError } from '@revos/envelope';

/** One outbound email (plain text; the practice's own words or a template). */
export interface EmailMessage {
  to: string;
  /** `Sunrise Dental <frontdesk@sunrise.example>` or a bare address. */
  from: string;
  replyTo?: string;
  subject: string;
  text: string;
  /** Extra headers (`List-Unsubscribe`, `List-Unsubscribe-Post`, `In-Reply-To`, `References`). */
  headers?: Record<string, string>;
  /**
   * Our reference for this one send (the effect's idempotency token). Postmark keeps it as message
   * metadata, so a lookup after a lost answer recognises exactly this email and no other.
   */
  reference: string;
  /** A category for the provider's statistics (`appointment_reminder`, `reply`), never PHI. */
  tag?: string;
}

export interface EmailSendOptions {
  signal?: AbortSignal;
}

export interface EmailSendResult {
  /** The provider's message id; null when it accepted the email (2xx) but its answer could not be read. */
  messageId: string | null;
  /** `sent` (Postmark: accepted for delivery) or `accepted_unread`. */
  status: string;
  latencyMs: number;
}

/** What a lookup found: the provider's records of emails carrying our reference since the intent. */
export interface EmailLookupResult {
  matches: { messageId: string; status: string }[];
  examined: number;
  pages: number;
  latencyMs: number;
}

/**
 * Sends email. `sendEmail` throws a `WorkflowError` with a three-way `outcome` (sent / not_sent /
 * unknown, see http.ts); a recipient the provider refuses as suppressed (a bounce or complaint it
 * holds) is `consent_denied` with `details.recipientOptedOut = true`.
 */
export interface EmailProvider {
  /** `postmark` or `smtp`: names the effect's service in the journal. */
  readonly transport: 'postmark' | 'smtp';
  sendEmail(message: EmailMessage, options?: EmailSendOptions): Promise<EmailSendResult>;
  /**
   * The emails to `message.to` carrying `message.reference`, sent since `since`. Absent on a transport
   * that cannot be asked (SMTP): an email whose outcome is unknown then goes to a person.
   */
  findEmails?(message: EmailMessage, since: Date, options?: { signal?: AbortSignal }): Promise<EmailLookupResult>;
}

/** The recipient refused as suppressed: keep the address denied, send nothing. */
export function isRecipientOptedOut(error: WorkflowError): boolean {
  return error.code === 'consent_denied' && error.details?.['recipientOptedOut'] === true;
}

/**
 * The transport of a worker configured with none: WF36/WF37 stay registered (intake accepts them on every
 * producer, so every worker must be able to end them), and a send ends `config_missing`, escalated, with
 * the settings to set, before any vendor is called.
 */
export function unconfiguredEmailProvider(): EmailProvider {
  return {
    transport: 'postmark',
    async sendEmail() {
      throw new WorkflowError('config_missing', 'this worker has no email transport: set POSTMARK_SERVER_TOKEN or SMTP_URL', { outcome: 'not_sent' });
    },
  };
}
