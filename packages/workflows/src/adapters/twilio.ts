/**
 * Twilio's REST shape, shared by the SMS and voice adapters: a form-encoded POST that creates a
 * resource under `/2010-04-01/Accounts/{AccountSid}/`, HTTP Basic auth, and a JSON resource back.
 */
import { z } from 'zod';
import { joinUrl, parseVendorJson, requireAdapterConfig, vendorRequest } from './http.js';

/** Options of the Twilio adapters. `baseUrl` is `https://api.twilio.com` in production, a stand-in in tests. */
export interface TwilioOptions {
  baseUrl: string;
  accountSid: string;
  authToken: string;
  /** Per-call budget in milliseconds (connect + response). */
  timeoutMs: number;
}

/** Per-call options shared by the Twilio adapters. */
export interface TwilioCallOptions {
  signal?: AbortSignal;
  /**
   * Sent as `I-Twilio-Idempotency-Token`: the vendor-side dedupe, a second belt behind our own
   * idempotency ledger. Use the same token on every retry of one logical send.
   */
  idempotencyToken?: string;
}

/** The fields of a created Message or Call resource we rely on. Other fields are ignored. */
export const TwilioResource = z.object({
  sid: z.string().min(1),
  status: z.string().min(1),
});
export type TwilioResource = z.infer<typeof TwilioResource>;

/** Created resource plus how long the call took, so the caller can record the external call. */
export interface TwilioCreated extends TwilioResource {
  latencyMs: number;
}

export const TWILIO_SERVICE = 'twilio';

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
    authorization: `Basic ${Buffer.from(`${options.accountSid}:${options.authToken}`).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  if (callOptions.idempotencyToken !== undefined) {
    headers['i-twilio-idempotency-token'] = callOptions.idempotencyToken;
  }
  const response = await vendorRequest({
    service: TWILIO_SERVICE,
    endpoint,
    method: 'POST',
    url,
    headers,
    body: new URLSearchParams(form).toString(),
    timeoutMs: options.timeoutMs,
    ...(callOptions.signal === undefined ? {} : { signal: callOptions.signal }),
  });
  const resource = parseVendorJson(TwilioResource, response, { service: TWILIO_SERVICE, endpoint });
  return { sid: resource.sid, status: resource.status, latencyMs: response.latencyMs };
}
