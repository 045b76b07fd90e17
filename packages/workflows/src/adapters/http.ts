/**
 * The one place vendor adapters touch the network. It turns every way an HTTP call can go wrong into a
 * {@link WorkflowError} with a code from the closed set, so the runtime decides retry/terminal by code,
 * and an `outcome` (`sent | not_sent | unknown`) decided from what node:http saw (was the request fully
 * written? did a status line arrive?), so the runtime never repeats a call the vendor may have acted on.
 *
 * PHI hazard: request and response bodies can hold a patient's phone number or message text. Nothing
 * from a body goes into an error's message or details — only the service, the logical endpoint, the
 * HTTP status, the latency and (when it is a bare token) the vendor's own error code.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { WorkflowError, type FailureCode, type VendorOutcome } from '@revos/envelope';
import type { z } from 'zod';

/**
 * Keep-alive agents shared by every vendor call of the process. node:http with a
 * keep-alive pool costs about half of what Node 20's fetch (undici) does per call;
 * in the worker's profile fetch was a quarter of all CPU.
 */
const agents = {
  'http:': new HttpAgent({ keepAlive: true, maxSockets: 256 }),
  'https:': new HttpsAgent({ keepAlive: true, maxSockets: 256 }),
};

/** Vendor answers are read up to this many bytes by default; a larger body is not kept in memory. */
export const DEFAULT_MAX_RESPONSE_BYTES = 1024 * 1024;

interface RawResponse {
  status: number;
  header(name: string): string | null;
  text: string;
  /** The body was longer than the cap: `text` is empty and the rest was discarded. */
  oversized: boolean;
}

/**
 * A failed exchange, with what node:http told us about how far it got. `requestWritten` is the
 * request's 'finish' event (every byte handed to the socket): before it the vendor cannot have acted
 * on a complete request; after it, it may have. `status` is set once response headers arrived.
 */
class ExchangeError extends Error {
  override name = 'ExchangeError';
  constructor(
    readonly requestWritten: boolean,
    readonly status: number | undefined,
    override readonly cause: unknown,
  ) {
    super('vendor exchange failed', { cause });
  }
}

/** One HTTP exchange, the body read up to `maxBytes`; aborted (rejecting) when `signal` fires. */
function send(
  url: URL,
  init: { method: string; headers?: Record<string, string>; body?: string; signal: AbortSignal; maxBytes: number },
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    let requestWritten = false;
    let status: number | undefined;
    const fail = (err: unknown): void => reject(new ExchangeError(requestWritten, status, err));
    const options = { method: init.method, headers: init.headers, agent: agents[url.protocol as 'http:' | 'https:'], signal: init.signal };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      status = res.statusCode ?? 0;
      const chunks: Buffer[] = [];
      let size = 0;
      let oversized = false;
      res.on('data', (c: Buffer) => {
        if (oversized) return;
        size += c.length;
        if (size > init.maxBytes) {
          // Stop keeping it (never an out-of-memory worker); the status line already says what happened.
          oversized = true;
          chunks.length = 0;
          return;
        }
        chunks.push(c);
      });
      res.on('error', fail);
      res.on('aborted', () => fail(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      res.on('end', () => {
        const headers: IncomingHttpHeaders = res.headers;
        resolve({
          status: status ?? 0,
          header: (name) => {
            const v = headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
          text: oversized ? '' : Buffer.concat(chunks).toString('utf8'),
          oversized,
        });
      });
    });
    req.on('finish', () => {
      requestWritten = true;
    });
    req.on('error', fail);
    req.end(init.body);
  });
}

/** Longest `Retry-After` we honour; a vendor asking for more is capped so a job is not parked for days. */
export const MAX_RETRY_AFTER_MS = 15 * 60_000;

/** One call to a vendor. */
export interface VendorRequest {
  /** Vendor name for logs and metrics, e.g. `twilio`, `pms`. */
  service: string;
  /** Logical operation, e.g. `messages.create`. Used instead of the URL, which can carry identifiers. */
  endpoint: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  url: string;
  headers?: Record<string, string>;
  /** Already-encoded request body (form or JSON). Never copied into errors. */
  body?: string;
  /** Whole-call budget: connect, response headers and body. */
  timeoutMs: number;
  /** The caller's signal (e.g. the handler's); aborting it ends the call. */
  signal?: AbortSignal;
  /** Largest answer body read, in bytes ({@link DEFAULT_MAX_RESPONSE_BYTES} by default). */
  maxResponseBytes?: number;
  /**
   * Response headers copied into a failed call's `details.headers` (e.g. Stripe's `Stripe-Should-Retry`),
   * for the adapter's own error rules. Name only headers that never carry PHI or secrets.
   */
  errorHeaders?: readonly string[];
}

/** Sent on every vendor call unless the adapter names its own: vendors ask for one to trace traffic to a client. */
export const VENDOR_USER_AGENT = 'revos-worker-fleet/0.1 (node-http; vendor-adapters)';

/**
 * A 2xx answer: the vendor accepted the request (outcome `sent`). `json` is the parsed body (`null`
 * for an empty one); `readable` is false when the body was not JSON or too large, and `json` is then
 * `undefined`: the request still happened, only its answer was lost.
 */
export interface VendorResponse {
  status: number;
  json: unknown;
  readable: boolean;
  latencyMs: number;
}

/** What a vendor call was, for error details. Safe to log: holds no body content. */
interface CallFacts {
  service: string;
  endpoint: string;
  latencyMs: number;
  httpStatus?: number;
}

function vendorError(
  code: FailureCode,
  outcome: VendorOutcome,
  message: string,
  facts: CallFacts,
  extra: { retryAfterMs?: number; cause?: unknown; details?: Record<string, unknown> } = {},
): WorkflowError {
  const details: Record<string, unknown> = {
    service: facts.service,
    endpoint: facts.endpoint,
    latencyMs: facts.latencyMs,
    outcome,
    ...(facts.httpStatus === undefined ? {} : { httpStatus: facts.httpStatus }),
    ...extra.details,
  };
  return new WorkflowError(code, message, {
    details,
    outcome,
    ...(extra.retryAfterMs === undefined ? {} : { retryAfterMs: extra.retryAfterMs }),
    ...(extra.cause === undefined ? {} : { cause: extra.cause }),
  });
}

/**
 * Parses `Retry-After` (delta-seconds or HTTP-date, RFC 9110 §10.2.3) into milliseconds, capped at
 * {@link MAX_RETRY_AFTER_MS}. A date in the past is 0; a missing or unparseable value is `undefined`.
 */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) {
    ms = Number(trimmed) * 1000;
  } else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return undefined;
    ms = Math.max(0, at - now);
  }
  return Math.min(ms, MAX_RETRY_AFTER_MS);
}

/** The system error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, ...) somewhere in a fetch error's cause chain. */
function systemErrorCode(err: unknown): string | undefined {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === 'string' && /^[A-Z0-9_]{2,40}$/.test(code)) return code;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

/**
 * What a vendor's error body says, as bare tokens only: the vendor's `message` often quotes the
 * patient's number, so only a numeric or short-token `code` (Twilio `{ code: 21211 }`, Stripe
 * `{ error: { code } }`), Stripe's `error.type` and `error.decline_code` are kept.
 */
interface VendorErrorFacts {
  vendorCode?: string | number;
  vendorErrorType?: string;
  declineCode?: string;
}

const TOKEN = /^[A-Za-z0-9_.-]{1,64}$/;

function vendorErrorFacts(text: string): VendorErrorFacts {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null) return {};
  // Stripe nests its error: `{ error: { type, code, decline_code, message } }`.
  const nested = (parsed as { error?: unknown }).error;
  const stripe = typeof nested === 'object' && nested !== null ? (nested as Record<string, unknown>) : undefined;
  const top = parsed as Record<string, unknown>;
  // Postmark names it `ErrorCode` (`{ ErrorCode: 406, Message }`).
  const code = top['code'] !== undefined || stripe === undefined ? (top['code'] ?? top['ErrorCode']) : stripe['code'];
  const facts: VendorErrorFacts = {};
  if (typeof code === 'number' && Number.isFinite(code)) facts.vendorCode = code;
  else if (typeof code === 'string' && TOKEN.test(code)) facts.vendorCode = code;
  if (typeof stripe?.['type'] === 'string' && TOKEN.test(stripe['type'])) facts.vendorErrorType = stripe['type'];
  if (typeof stripe?.['decline_code'] === 'string' && TOKEN.test(stripe['decline_code'])) facts.declineCode = stripe['decline_code'];
  return facts;
}

/** Code for an aborted call: the caller's reason if it is a WorkflowError (e.g. `lock_lost`), else `timeout`. */
function callerAbortCode(reason: unknown): FailureCode {
  return reason instanceof WorkflowError ? reason.code : 'timeout';
}

/**
 * Sends one request (node:http, keep-alive) and classifies it into one of three outcomes
 * ({@link VendorOutcome}) and a failure code.
 *
 * Resolves for every 2xx (outcome `sent`), with `readable: false` when the body is not JSON or is over
 * `maxResponseBytes`. Otherwise throws a {@link WorkflowError} whose `outcome` says whether the vendor
 * may have acted:
 * - `not_sent`: connection refused, DNS/TLS failure or any error before the request was fully written
 *   (`network`); our timeout or the caller's abort before it was written; 429 → `rate_limited` with
 *   `retryAfterMs` from `Retry-After`; 401/403 → `config_missing`; 3xx → `config_missing` (wrong base
 *   URL; redirects are not followed, a POST must not be replayed as a GET); 408 → `timeout`; other 4xx
 *   → `invalid_input`
 * - `unknown`: a reset or close after the request was written, or a response body cut off (`network`);
 *   our timeout after it was written (`timeout`); the caller's abort after it was written (its reason's
 *   code if a WorkflowError, else `timeout`); any 5xx → `vendor_unavailable` (with `retryAfterMs` if sent)
 *
 * Every error's details hold `service`, `endpoint`, `latencyMs`, `outcome` and, once known, `httpStatus`;
 * an error answer adds what its body says as bare tokens (`vendorCode`, Stripe's `vendorErrorType` and
 * `declineCode`) and the `errorHeaders` the adapter asked for (`headers`). Adapters refine the code
 * from those (Twilio's 21408, Stripe's `type`).
 */
export async function vendorRequest(request: VendorRequest): Promise<VendorResponse> {
  const { service, endpoint, signal } = request;
  const started = performance.now();
  const facts = (httpStatus?: number): CallFacts => ({
    service,
    endpoint,
    latencyMs: Math.round(performance.now() - started),
    ...(httpStatus === undefined ? {} : { httpStatus }),
  });

  if (!URL.canParse(request.url)) {
    throw vendorError('config_missing', 'not_sent', `${service} ${endpoint}: base URL is not a valid URL`, facts());
  }
  if (signal?.aborted) {
    throw vendorError(callerAbortCode(signal.reason), 'not_sent', `${service} ${endpoint}: aborted before sending`, facts(), {
      details: { abortedBy: 'caller' },
    });
  }

  // One controller for both limits; `abortedBy` records which fired first so the code is right.
  const controller = new AbortController();
  let abortedBy: 'timeout' | 'caller' | undefined;
  const timer = setTimeout(() => {
    abortedBy ??= 'timeout';
    controller.abort();
  }, request.timeoutMs);
  const onCallerAbort = (): void => {
    abortedBy ??= 'caller';
    controller.abort();
  };
  // Removed in `finally`: a worker's signal outlives thousands of calls and must not collect listeners.
  signal?.addEventListener('abort', onCallerAbort, { once: true });

  let response: RawResponse;
  try {
    // Redirects are never followed (node:http does not): a POST must not be silently replayed.
    // The body is read inside the timeout too: a vendor that sends headers and then stalls is a timeout.
    response = await send(new URL(request.url), {
      method: request.method,
      headers: { 'user-agent': VENDOR_USER_AGENT, ...request.headers },
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: controller.signal,
      maxBytes: request.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    });
  } catch (err) {
    // Before the request was fully written the vendor has nothing it could act on.
    const written = err instanceof ExchangeError ? err.requestWritten : true;
    const status = err instanceof ExchangeError ? err.status : undefined;
    const cause = err instanceof ExchangeError ? err.cause : err;
    const outcome: VendorOutcome = written ? 'unknown' : 'not_sent';
    const where = written ? (status === undefined ? 'after the request was written' : 'while reading the answer') : 'before the request was written';
    if (abortedBy === 'timeout') {
      throw vendorError('timeout', outcome, `${service} ${endpoint}: no complete response within ${request.timeoutMs}ms (${where})`, facts(status), {
        details: { abortedBy },
      });
    }
    if (abortedBy === 'caller') {
      throw vendorError(callerAbortCode(signal?.reason), outcome, `${service} ${endpoint}: aborted by caller (${where})`, facts(status), {
        details: { abortedBy },
      });
    }
    const errorCode = systemErrorCode(cause);
    throw vendorError('network', outcome, `${service} ${endpoint}: network error${errorCode ? ` (${errorCode})` : ''} ${where}`, facts(status), {
      cause,
      ...(errorCode === undefined ? {} : { details: { errorCode } }),
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }

  const { status } = response;
  const done = facts(status);
  if (status >= 200 && status < 300) {
    // Accepted. An answer we cannot read does not undo that: the caller records what it knows.
    if (response.oversized) return { status, json: undefined, readable: false, latencyMs: done.latencyMs };
    if (response.text.trim() === '') return { status, json: null, readable: true, latencyMs: done.latencyMs };
    try {
      return { status, json: JSON.parse(response.text) as unknown, readable: true, latencyMs: done.latencyMs };
    } catch {
      return { status, json: undefined, readable: false, latencyMs: done.latencyMs };
    }
  }

  const details: Record<string, unknown> = { ...vendorErrorFacts(response.text) };
  const headers = Object.fromEntries(
    (request.errorHeaders ?? []).flatMap((name) => {
      const value = response.header(name);
      return value === null ? [] : [[name.toLowerCase(), value]];
    }),
  );
  if (Object.keys(headers).length > 0) details['headers'] = headers;
  const label = `${service} ${endpoint}: HTTP ${status}`;
  if (status === 429) {
    // Twilio documents a 429 as never processed: safe to send again after Retry-After.
    const retryAfterMs = parseRetryAfter(response.header('retry-after'));
    throw vendorError('rate_limited', 'not_sent', `${label} (rate limited)`, done, {
      details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 401 || status === 403) {
    throw vendorError('config_missing', 'not_sent', `${label} (credentials rejected)`, done, { details });
  }
  if (status === 408) throw vendorError('timeout', 'not_sent', `${label} (vendor timed out)`, done, { details });
  if (status >= 300 && status < 400) {
    throw vendorError('config_missing', 'not_sent', `${label} (redirect; check the base URL)`, done, { details });
  }
  if (status >= 400 && status < 500) {
    throw vendorError('invalid_input', 'not_sent', `${label} (request rejected)`, done, { details });
  }
  // 5xx, and anything else a broken proxy may invent: a gateway's 502/504 often means the vendor
  // behind it did the work and the answer was lost on the way back.
  const retryAfterMs = parseRetryAfter(response.header('retry-after'));
  throw vendorError('vendor_unavailable', 'unknown', label, done, {
    details,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/**
 * Checks a 2xx body against the vendor's documented shape. A mismatch or an unreadable body is
 * `vendor_unavailable` (the vendor changed or is broken, not our input) with outcome `sent` (it did
 * answer 2xx); details carry issue paths and codes only, never values. Reads use this; a create whose
 * answer is unreadable uses {@link readCreated} instead, because the resource exists either way.
 */
export function parseVendorJson<S extends z.ZodType>(
  schema: S,
  response: VendorResponse,
  call: { service: string; endpoint: string },
): z.output<S> {
  if (!response.readable) {
    throw vendorError('vendor_unavailable', 'sent', `${call.service} ${call.endpoint}: HTTP ${response.status} with a body that is not JSON`, {
      service: call.service,
      endpoint: call.endpoint,
      latencyMs: response.latencyMs,
      httpStatus: response.status,
    });
  }
  const result = schema.safeParse(response.json);
  if (result.success) return result.data;
  throw vendorError(
    'vendor_unavailable',
    'sent',
    `${call.service} ${call.endpoint}: response does not match the expected shape`,
    { service: call.service, endpoint: call.endpoint, latencyMs: response.latencyMs, httpStatus: response.status },
    { details: { issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), code: issue.code })) } },
  );
}

/**
 * The created resource from a 2xx answer, or `null` when the body is unreadable or not the documented
 * shape: the vendor accepted the request (outcome `sent`), so the caller records it as done with what
 * it knows rather than fail and send it again.
 */
export function readCreated<S extends z.ZodType>(schema: S, response: VendorResponse): z.output<S> | null {
  if (!response.readable) return null;
  const result = schema.safeParse(response.json);
  return result.success ? result.data : null;
}

/** Config checks at construction: a missing setting is `config_missing` naming the option, never its value. */
export function requireAdapterConfig(
  service: string,
  options: Record<string, string | number | undefined>,
): void {
  const missing = Object.entries(options)
    .filter(([, value]) =>
      typeof value === 'number' ? !(Number.isFinite(value) && value > 0) : value === undefined || value.trim() === '',
    )
    .map(([name]) => name);
  if (missing.length > 0) {
    throw new WorkflowError('config_missing', `${service}: missing or invalid option(s): ${missing.join(', ')}`, {
      details: { service, missing },
    });
  }
  const baseUrl = options['baseUrl'];
  if (typeof baseUrl === 'string' && !URL.canParse(baseUrl)) {
    throw new WorkflowError('config_missing', `${service}: baseUrl is not a valid URL`, {
      details: { service, missing: ['baseUrl'] },
    });
  }
}

/** `baseUrl` + `path`, tolerating a trailing slash on the base (`https://x/api/` + `/slots`). */
export function joinUrl(baseUrl: string, path: string): string {
  return `${baseUrl.replace(/\/+$/, '')}${path}`;
}
