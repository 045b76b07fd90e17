/**
 * Email through Postmark's REST API: `POST /email` (JSON, `X-Postmark-Server-Token`) answers
 * `{ MessageID, ErrorCode: 0 }`; `GET /messages/outbound` (the Messages API's outbound search,
 * newest first, `count`/`offset`) is what a lost answer is looked up by. Postmark has no idempotency
 * key, so every send carries our reference in its `Metadata` and a lookup matches on it exactly.
 */
import { isWorkflowError, WorkflowError } from '@revos/envelope';
import { z } from 'zod';
import type { EmailLookupResult, EmailMessage, EmailProvider } from './email.js';
import { joinUrl, parseVendorJson, readCreated, requireAdapterConfig, vendorRequest } from './http.js';

export const POSTMARK_SERVICE = 'postmark';

/** The metadata key our reference travels under (Postmark returns it with each searched message). */
export const POSTMARK_REFERENCE_KEY = 'revos_ref';

/** Postmark's ErrorCode for a recipient it has marked inactive (a hard bounce, a spam complaint, an unsubscribe). */
export const POSTMARK_INACTIVE_RECIPIENT = 406;

export interface PostmarkOptions {
  /** `https://api.postmarkapp.com` in production, a stand-in in tests. */
  baseUrl: string;
  serverToken: string;
  timeoutMs: number;
  /** Postmark's message stream (`outbound` by default; a broadcast stream for non-transactional mail). */
  messageStream?: string;
}

const PostmarkSent = z.object({ MessageID: z.string().min(1), ErrorCode: z.number().optional() });

const PostmarkSearchPage = z.object({
  TotalCount: z.number(),
  Messages: z.array(
    z.object({
      MessageID: z.string().min(1),
      Status: z.string().default('unknown'),
      /** ISO 8601 with an offset (Postmark answers in US Eastern time). */
      ReceivedAt: z.string().nullable().optional(),
      Metadata: z.record(z.string(), z.unknown()).nullable().optional(),
    }),
  ),
});

/** Clocks differ: an email received this long before our intent may still be ours. */
const CLOCK_SKEW_MS = 5 * 60_000;
const PAGE_SIZE = 50;
const MAX_PAGES = 5;

/** An {@link EmailProvider} over Postmark. Throws `config_missing` at once if an option is empty. */
export function createPostmarkEmailProvider(options: PostmarkOptions): EmailProvider {
  requireAdapterConfig(POSTMARK_SERVICE, { baseUrl: options.baseUrl, serverToken: options.serverToken, timeoutMs: options.timeoutMs });
  const auth = { 'x-postmark-server-token': options.serverToken, accept: 'application/json' };
  return {
    transport: 'postmark',
    async sendEmail(message, sendOptions = {}) {
      const body = {
        From: message.from,
        To: message.to,
        Subject: message.subject,
        TextBody: message.text,
        ...(message.replyTo === undefined ? {} : { ReplyTo: message.replyTo }),
        ...(message.tag === undefined ? {} : { Tag: message.tag }),
        Headers: Object.entries(message.headers ?? {}).map(([Name, Value]) => ({ Name, Value })),
        Metadata: { [POSTMARK_REFERENCE_KEY]: message.reference },
        MessageStream: options.messageStream ?? 'outbound',
        TrackOpens: false,
        TrackLinks: 'None',
      };
      try {
        const response = await vendorRequest({
          service: POSTMARK_SERVICE,
          endpoint: 'email.send',
          method: 'POST',
          url: joinUrl(options.baseUrl, '/email'),
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(body),
          timeoutMs: options.timeoutMs,
          ...(sendOptions.signal === undefined ? {} : { signal: sendOptions.signal }),
        });
        const sent = readCreated(PostmarkSent, response);
        return sent ? { messageId: sent.MessageID, status: 'sent', latencyMs: response.latencyMs } : { messageId: null, status: 'accepted_unread', latencyMs: response.latencyMs };
      } catch (error) {
        if (isWorkflowError(error) && error.details?.['vendorCode'] === POSTMARK_INACTIVE_RECIPIENT) {
          throw new WorkflowError('consent_denied', 'postmark email.send: the recipient is inactive (406)', {
            details: { ...error.details, recipientOptedOut: true },
            cause: error,
          });
        }
        throw error;
      }
    },
    async findEmails(message: EmailMessage, since: Date, findOptions: { signal?: AbortSignal } = {}): Promise<EmailLookupResult> {
      const from = since.getTime() - CLOCK_SKEW_MS;
      const result: EmailLookupResult = { matches: [], examined: 0, pages: 0, latencyMs: 0 };
      for (let offset = 0; result.pages < MAX_PAGES; offset += PAGE_SIZE) {
        const query = new URLSearchParams({ count: String(PAGE_SIZE), offset: String(offset), recipient: message.to });
        const response = await vendorRequest({
          service: POSTMARK_SERVICE,
          endpoint: 'messages.outbound.search',
          method: 'GET',
          url: joinUrl(options.baseUrl, `/messages/outbound?${query.toString()}`),
          headers: auth,
          timeoutMs: options.timeoutMs,
          ...(findOptions.signal === undefined ? {} : { signal: findOptions.signal }),
        });
        result.pages += 1;
        result.latencyMs += response.latencyMs;
        const page = parseVendorJson(PostmarkSearchPage, response, { service: POSTMARK_SERVICE, endpoint: 'messages.outbound.search' });
        let older = false;
        for (const item of page.Messages) {
          result.examined += 1;
          const received = item.ReceivedAt ? Date.parse(item.ReceivedAt) : Number.NaN;
          if (!Number.isNaN(received) && received < from) {
            older = true;
            continue;
          }
          if (item.Metadata?.[POSTMARK_REFERENCE_KEY] === message.reference) result.matches.push({ messageId: item.MessageID, status: item.Status });
        }
        // Newest first: past the window, or past the last page, nothing further can be ours.
        if (older || offset + PAGE_SIZE >= page.TotalCount) break;
      }
      return result;
    },
  };
}
