import { isWorkflowError, WorkflowError } from '@revos/envelope';
import {
  checkTwilioOptions,
  createTwilioResource,
  findTwilioResources,
  type TwilioCallOptions,
  type TwilioLookupResult,
  type TwilioOptions,
} from './twilio.js';

/** One outbound text. `body` is PHI: it never appears in errors or logs. */
export interface SmsMessage {
  /** E.164 recipient, e.g. `+15551234567`. */
  to: string;
  /** E.164 sender (one of the practice's numbers). */
  from: string;
  body: string;
}

export type SmsSendOptions = TwilioCallOptions;

/** The vendor's id and status for an accepted message, and the call's latency. */
export interface SmsSendResult {
  /** Null when the vendor accepted the message (2xx) but its answer could not be read. */
  sid: string | null;
  /** Vendor status, e.g. `queued`, `accepted`, `sent`. Kept as a string: vendors add statuses. */
  status: string;
  latencyMs: number;
}

/**
 * Twilio's answer to a send to a number that texted STOP to the sending number ("Attempt to send to
 * unsubscribed recipient"). Nothing was sent; the patient withdrew consent.
 */
export const TWILIO_UNSUBSCRIBED_RECIPIENT = 21610;

/**
 * Sends texts. Throws a `WorkflowError` (see `vendorRequest`) on any failure; a recipient who opted
 * out at the carrier is `consent_denied` with `details.recipientOptedOut = true`.
 */
export interface SmsProvider {
  sendMessage(message: SmsMessage, options?: SmsSendOptions): Promise<SmsSendResult>;
  /**
   * The messages to `message.to` from `message.from` with `message.body`, created since `since`:
   * what reconciliation asks after a send whose answer was lost.
   */
  findMessages(message: SmsMessage, since: Date, options?: { signal?: AbortSignal }): Promise<TwilioLookupResult>;
}

/** An {@link SmsProvider} over Twilio's Messages API. Throws `config_missing` at once if an option is empty. */
export function createTwilioSmsProvider(options: TwilioOptions): SmsProvider {
  checkTwilioOptions(options);
  return {
    async sendMessage(message, sendOptions) {
      try {
        return await createTwilioResource(
          options,
          'Messages',
          'messages.create',
          { To: message.to, From: message.from, Body: message.body },
          sendOptions,
        );
      } catch (error) {
        if (isWorkflowError(error) && error.details?.['vendorCode'] === TWILIO_UNSUBSCRIBED_RECIPIENT) {
          throw new WorkflowError('consent_denied', 'twilio messages.create: the recipient unsubscribed (21610)', {
            details: { ...error.details, recipientOptedOut: true },
            cause: error,
          });
        }
        throw error;
      }
    },
    findMessages(message, since, findOptions = {}) {
      return findTwilioResources(
        options,
        'Messages',
        'messages.list',
        { to: message.to, from: message.from, since, body: message.body },
        findOptions.signal,
      );
    },
  };
}
