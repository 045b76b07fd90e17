/**
 * Twilio's REST shape, shared by the SMS and voice adapters: a form-encoded POST that creates a
 * resource under `/2010-04-01/Accounts/{AccountSid}/`, HTTP Basic auth, and a JSON resource back;
 * and the list endpoints (`GET …/Messages.json`, `GET …/Calls.json`, newest first, paged by
 * `next_page_uri`) that reconciliation asks when a create's answer was lost.
 */
import { isWorkflowError, WorkflowError } from '@revos/envelope';
import { z } from 'zod';
import { joinUrl, parseVendorJson, readCreated, requireAdapterConfig, vendorRequest, type VendorRequest, type VendorResponse } from './http.js';

/** Options of the Twilio adapters. `baseUrl` is `https://api.twilio.com` in production, a stand-in in tests. */
export interface TwilioOptions {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Per-call budget in milliseconds (connect + response). */
  timeoutMs: number;
  /**
   * The producer's public base URL (`PUBLIC_BASE_URL`). Set: every text and call names
   * `{base}/webhooks/twilio/{tenant}/status` as its `StatusCallback`, so Twilio reports delivery.
   * Unset: no `StatusCallback` is sent and delivery is never known.
   */
  statusCallbackBaseUrl?: string | undefined;
}

/** Per-call options shared by the Twilio adapters. */
export interface TwilioCallOptions {
  signal?: AbortSignal;
  /**
   * Sent as `I-Twilio-Idempotency-Token`: the vendor-side dedupe, a second belt behind our own
   * idempotency ledger. Use the same token on every retry of one logical send.
   */
  idempotencyToken?: string;
  /** The tenant the resource is created for: names the `StatusCallback` route (see `statusCallbackBaseUrl`). */
  tenantId?: string;
}

/** The signed route Twilio posts a text's or a call's status changes to (apps/producer, webhooks). */
export function statusCallbackUrl(baseUrl: string, tenantId: string): string {
  return joinUrl(baseUrl, `/webhooks/twilio/${encodeURIComponent(tenantId)}/status`);
}

/** The fields of a created Message or Call resource we rely on. Other fields are ignored. */
export const TwilioResource = z.object({
  sid: z.string().min(1),
  status: z.string().min(1),
});
export type TwilioResource = z.infer<typeof TwilioResource>;

/**
 * Created resource plus how long the call took, so the caller can record the external call. `sid` is
 * null when Twilio answered 2xx but the body could not be read: the resource exists, its id is unknown.
 */
export interface TwilioCreated {
  sid: string | null;
  status: string;
  latencyMs: number;
}

/** The status we report for a create Twilio accepted (2xx) without a readable answer. */
export const ACCEPTED_UNREAD = 'accepted_unread';

export const TWILIO_SERVICE = 'twilio';

/**
 * Twilio error codes that mean "too much, too fast" (https://www.twilio.com/docs/api/errors): 20429
 * too many requests, 21611 the sender's queue is full, 30001 queue overflow, 63017 a channel's rate
 * limit. Nothing was sent; the same request later can pass, so they are `rate_limited` (sender pacing
 * slows down on that code), whatever HTTP status carried them.
 */
export const TWILIO_RATE_LIMIT_CODES: ReadonlySet<number> = new Set([20429, 21611, 30001, 63017]);

/**
 * Twilio error codes that name an account setting rather than the request: 21408 "permission to send
 * an SMS has not been enabled for the region". Retrying or fixing the input cannot help; someone with
 * access to the Twilio console must, so they are `config_missing` (terminal, escalated).
 */
export const TWILIO_CONFIGURATION_CODES: ReadonlySet<number> = new Set([21408]);

/** Turns the generic HTTP mapping of a Twilio error answer into Twilio's own meaning of its `code`. */
export function mapTwilioError(error: unknown, endpoint: string): unknown {
  if (!isWorkflowError(error)) return error;
  const vendorCode = error.details?.['vendorCode'];
  if (typeof vendorCode !== 'number') return error;
  const options = {
    details: { ...error.details },
    cause: error,
    ...(error.outcome === undefined ? {} : { outcome: error.outcome }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  };
  if (TWILIO_RATE_LIMIT_CODES.has(vendorCode) && error.code !== 'rate_limited') {
    return new WorkflowError('rate_limited', `${TWILIO_SERVICE} ${endpoint}: rate limited (Twilio ${vendorCode})`, options);
  }
  if (TWILIO_CONFIGURATION_CODES.has(vendorCode)) {
    return new WorkflowError('config_missing', `${TWILIO_SERVICE} ${endpoint}: the Twilio account does not allow this (Twilio ${vendorCode})`, options);
  }
  return error;
}

/** {@link vendorRequest} with Twilio's error codes applied. */
async function twilioRequest(request: VendorRequest): Promise<VendorResponse> {
  try {
    return await vendorRequest(request);
  } catch (error) {
    throw mapTwilioError(error, request.endpoint);
  }
}

export function checkTwilioOptions(options: TwilioOptions): void {
  requireAdapterConfig(TWILIO_SERVICE, {
    baseUrl: options.baseUrl,
    accountSid: options.accountSid,
    authToken: options.authToken,
    timeoutMs: options.timeoutMs,
  });
}

/** POSTs `form` to `{baseUrl}/2010-04-01/Accounts/{sid}/{collection}.json` and validates the answer. */
export async function createTwilioResource(
  options: TwilioOptions,
  collection: 'Messages' | 'Calls',
  endpoint: string,
  form: Record<string, string>,
  callOptions: TwilioCallOptions = {},
): Promise<TwilioCreated> {
  const url = joinUrl(
    options.baseUrl,
    `/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/${collection}.json`,
  );
  const headers: Record<string, string> = {
    authorization: basicAuth(options),
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (callOptions.idempotencyToken !== undefined) {
    headers['i-twilio-idempotency-token'] = callOptions.idempotencyToken;
  }
  const fields = options.statusCallbackBaseUrl && callOptions.tenantId !== undefined
    ? { ...form, StatusCallback: statusCallbackUrl(options.statusCallbackBaseUrl, callOptions.tenantId) }
    : form;
  const response = await twilioRequest({
    service: TWILIO_SERVICE,
    endpoint,
    method: 'POST',
    url,
    headers,
    body: new URLSearchParams(fields).toString(),
    timeoutMs: options.timeoutMs,
    ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
  });
  const resource = readCreated(TwilioResource, response);
  if (!resource) return { sid: null, status: ACCEPTED_UNREAD, latencyMs: response.latencyMs };
  return { sid: resource.sid, status: resource.status, latencyMs: response.latencyMs };
}

/**
 * One entry of a Messages or Calls list page: the fields a lookup matches on. Twilio's description
 * makes every field nullable, `sid` included: an entry without one still counts (it may be ours).
 */
const TwilioListed = z.object({
  sid: z.string().min(1).nullable(),
  status: z.string().min(1),
  /** Why a failed or undelivered message failed (e.g. 30003); null otherwise. */
  error_code: z.number().int().nullable().optional(),
  to: z.string().nullable().optional(),
  from: z.string().nullable().optional(),
  body: z.string().nullable().optional(),
  /** RFC 2822, e.g. `Wed, 18 Aug 2010 20:01:40 +0000`. */
  date_created: z.string().nullable().optional(),
});
type TwilioListed = z.infer<typeof TwilioListed>;

const TwilioPage = z.object({
  messages: z.array(TwilioListed).optional(),
  calls: z.array(TwilioListed).optional(),
  next_page_uri: z.string().nullable().optional(),
});

/** What to look for: the create's To and From, since when, and (for messages) the exact body. */
export interface TwilioLookupCriteria {
  to: string;
  from: string;
  /** The intent's time; resources created before it (less the skew) are not ours. */
  since: Date;
  body?: string;
}

/** A lookup's answer: the matching resources and how much was read to decide (for the evidence). */
export interface TwilioLookupResult {
  /** `sid` is null when Twilio listed the resource without one: it exists, its id is unknown. */
  matches: { sid: string | null; status: string; dateCreated: string | null; errorCode: number | null }[];
  examined: number;
  pages: number;
  latencyMs: number;
}

/** Clocks differ: a resource created this long before our intent may still be ours. */
const CLOCK_SKEW_MS = 5 * 60_000;
/** Pages read at most: the list is newest first, so our resource is near the top. */
const MAX_PAGES = 5;

/**
 * Lists `collection` by To and From, newest first, and returns the resources created since the intent
 * that match it (the body too, for messages). No `DateSent` filter: Twilio filters by day and a queued
 * message has no DateSent yet, so the very message we look for would be filtered out; the creation
 * time is checked here instead, and paging stops at the first resource older than the window.
 */
export async function findTwilioResources(
  options: TwilioOptions,
  collection: 'Messages' | 'Calls',
  endpoint: string,
  criteria: TwilioLookupCriteria,
  signal?: AbortSignal,
): Promise<TwilioLookupResult> {
  const base = `/2010-04-01/Accounts/${encodeURIComponent(options.accountSid)}/${collection}.json`;
  let next: string | null = `${base}?${new URLSearchParams({ To: criteria.to, From: criteria.from, PageSize: '50' }).toString()}`;
  const from = criteria.since.getTime() - CLOCK_SKEW_MS;
  const result: TwilioLookupResult = { matches: [], examined: 0, pages: 0, latencyMs: 0 };
  while (next && result.pages < MAX_PAGES) {
    const response = await twilioRequest({
      service: TWILIO_SERVICE,
      endpoint,
      method: 'GET',
      url: joinUrl(options.baseUrl, next),
      headers: { authorization: basicAuth(options), accept: 'application/json' },
      timeoutMs: options.timeoutMs,
      ...(signal === undefined ? {} : { signal }),
    });
    result.pages += 1;
    result.latencyMs += response.latencyMs;
    const page = parseVendorJson(TwilioPage, response, { service: TWILIO_SERVICE, endpoint });
    const items: TwilioListed[] = (collection === 'Messages' ? page.messages : page.calls) ?? [];
    let older = false;
    for (const item of items) {
      result.examined += 1;
      const created = item.date_created ? Date.parse(item.date_created) : Number.NaN;
      if (!Number.isNaN(created) && created < from) {
        older = true;
        continue;
      }
      if (criteria.body !== undefined && item.body !== criteria.body) continue;
      result.matches.push({ sid: item.sid, status: item.status, dateCreated: item.date_created ?? null, errorCode: item.error_code ?? null });
    }
    next = older || !page.next_page_uri ? null : nextPagePath(page.next_page_uri, base, endpoint);
  }
  return result;
}

/**
 * The path and query of the next page. Twilio answers a path (`/2010-04-01/…`), but its description
 * declares an absolute URI: both are followed, and only on the configured base URL, so the account's
 * credentials never go to a host an answer names. A page of another collection is refused.
 */
function nextPagePath(nextPageUri: string, collectionPath: string, endpoint: string): string {
  const parsed = URL.canParse(nextPageUri) ? new URL(nextPageUri) : URL.canParse(nextPageUri, 'http://twilio.invalid') ? new URL(nextPageUri, 'http://twilio.invalid') : null;
  if (!parsed || parsed.pathname !== collectionPath) {
    throw new WorkflowError('vendor_unavailable', `${TWILIO_SERVICE} ${endpoint}: next_page_uri does not name the same list`, {
      outcome: 'sent',
      details: { service: TWILIO_SERVICE, endpoint },
    });
  }
  return `${parsed.pathname}${parsed.search}`;
}

function basicAuth(options: TwilioOptions): string {
  return `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`;
}
