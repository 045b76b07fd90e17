/**
 * Email through a practice's own SMTP relay (nodemailer's SMTP transport). A relay cannot be asked
 * afterwards what it accepted, so this transport has no lookup: a send whose outcome is unknown (the
 * connection dropped or timed out once the message may have been handed over) goes to a person.
 * An SMTP reply (4yz, 5yz) means the relay refused the message: nothing was sent.
 */
import { WorkflowError, type FailureCode, type VendorOutcome } from '@revos/envelope';
import { createTransport } from 'nodemailer';
import type { EmailProvider } from './email.js';
import { requireAdapterConfig } from './http.js';

export const SMTP_SERVICE = 'smtp';

export interface SmtpOptions {
  /** `smtp://user:pass@relay.example:587` or `smtps://…:465`. */
  url: string;
  /** Per-message budget: connect, greeting, and the whole exchange. */
  timeoutMs: number;
}

/** Failures that end before a message can have been handed over: nothing was sent. */
const BEFORE_HANDOVER = new Set(['EDNS', 'EAUTH', 'ENOAUTH', 'ETLS', 'EREQUIRETLS', 'ECONFIG', 'EENVELOPE', 'EPROXY', 'EOAUTH2', 'EMAXRECIPIENTS']);

interface SmtpError {
  code?: string;
  responseCode?: number;
  command?: string;
  syscall?: string;
  message?: string;
}

/**
 * The connection was never made (refused, unreachable). nodemailer names every lost connection's
 * command `CONN`, even one dropped after DATA, so only the socket's own connect error proves it.
 */
function neverConnected(e: SmtpError): boolean {
  return e.code === 'ESOCKET' && (e.syscall === 'connect' || /^connect E[A-Z]+/.test(e.message ?? ''));
}

/** An {@link EmailProvider} over an SMTP relay. Throws `config_missing` at once if the URL is empty or not smtp(s). */
export function createSmtpEmailProvider(options: SmtpOptions): EmailProvider {
  requireAdapterConfig(SMTP_SERVICE, { url: options.url, timeoutMs: options.timeoutMs });
  if (!/^smtps?:\/\//.test(options.url)) {
    throw new WorkflowError('config_missing', 'smtp: url must start with smtp:// or smtps://', { details: { service: SMTP_SERVICE, missing: ['url'] } });
  }
  const transport = createTransport(options.url, {});
  const timeouts = { connectionTimeout: options.timeoutMs, greetingTimeout: options.timeoutMs, socketTimeout: options.timeoutMs };
  Object.assign(transport.options, timeouts);
  return {
    transport: 'smtp',
    async sendEmail(message, sendOptions = {}) {
      const started = performance.now();
      if (sendOptions.signal?.aborted) throw smtpError('timeout', 'not_sent', 'smtp send: aborted before sending', started, {});
      const domain = /@([^>\s]+)>?\s*$/.exec(message.from)?.[1] ?? 'revos.invalid';
      try {
        const info = await transport.sendMail({
          from: message.from,
          to: message.to,
          ...(message.replyTo === undefined ? {} : { replyTo: message.replyTo }),
          subject: message.subject,
          text: message.text,
          headers: message.headers ?? {},
          // Ours and stable per send: a relay that logs it, and a reply's In-Reply-To, name this one email.
          messageId: `<${message.reference}@${domain}>`,
        });
        return { messageId: info.messageId || null, status: 'sent', latencyMs: Math.round(performance.now() - started) };
      } catch (error) {
        const e = (error ?? {}) as SmtpError;
        if (typeof e.responseCode === 'number' && e.responseCode >= 400) {
          // The relay answered with a refusal: it did not take the message.
          const permanent = e.responseCode >= 500;
          throw smtpError(permanent ? 'invalid_input' : 'vendor_unavailable', 'not_sent', `smtp send: refused with ${e.responseCode}`, started, { smtpCode: e.responseCode, ...(e.command ? { command: e.command } : {}) });
        }
        if ((e.code !== undefined && BEFORE_HANDOVER.has(e.code)) || neverConnected(e)) {
          const code: FailureCode = e.code === 'EAUTH' || e.code === 'ENOAUTH' || e.code === 'ECONFIG' ? 'config_missing' : 'network';
          throw smtpError(code, 'not_sent', `smtp send: failed before the message was handed over (${e.code ?? 'no code'})`, started, { errorCode: e.code ?? null });
        }
        // A dropped or silent connection once the message may have been handed over: only a person can tell.
        throw smtpError(e.code === 'ETIMEDOUT' ? 'timeout' : 'network', 'unknown', `smtp send: connection lost, the relay may have the message (${e.code ?? 'no code'})`, started, { errorCode: e.code ?? null });
      }
    },
  };
}

/** No `cause`: a relay's refusal text often quotes the recipient's address. */
function smtpError(code: FailureCode, outcome: VendorOutcome, message: string, started: number, details: Record<string, unknown>): WorkflowError {
  return new WorkflowError(code, message, {
    outcome,
    details: { service: SMTP_SERVICE, endpoint: 'smtp.send', latencyMs: Math.round(performance.now() - started), outcome, ...details },
  });
}
