/**
 * The one place vendor adapters touch the network. It turns every way an HTTP call can go wrong into a
 * {@link WorkflowError} with a code from the closed set, so the runtime decides retry/terminal by code.
 *
 * PHI hazard: request and response bodies can hold a patient's phone number or message text. Nothing
 * from a body goes into an error's message or details — only the service, the logical endpoint, the
 * HTTP status, the latency and (when it is a bare token) the vendor's own error code.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { WorkflowError, type FailureCode } from '@revos/envelope';
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

interface RawResponse {
  status: number;
  header(name: string): string | null;
  text: string;
}

/** One HTTP exchange, the whole body read; aborted (rejecting) when `signal` fires. */
function send(url: URL, init: { method: string; headers?: Record<string, string>; body?: string; signal: AbortSignal }): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const options = { method: init.method, headers: init.headers, agent: agents[url.protocol as 'http:' | 'https:'], signal: init.signal };
    const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('aborted', () => reject(Object.assign(new Error('response aborted'), { code: 'ECONNRESET' })));
      res.on('end', () => {
        const headers: IncomingHttpHeaders = res.headers;
        resolve({
          status: res.statusCode ?? 0,
          header: (name) => {
            const v = headers[name.toLowerCase()];
            return v === undefined ? null : Array.isArray(v) ? v.join(', ') : v;
          },
          text: Buffer.concat(chunks).toString('utf8'),
        });
      });
    });
    req.on('error', reject);
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
}

/** A 2xx answer with a JSON body (`null` for an empty body). */
export interface VendorResponse {
  status: number;
  json: unknown;
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
  message: string,
  facts: CallFacts,
  extra: { retryAfterMs?: number; cause?: unknown; details?: Record<string, unknown> } = {},
): WorkflowError {
  const details: Record<string, unknown> = {
    service: facts.service,
    endpoint: facts.endpoint,
    latencyMs: facts.latencyMs,
    ...(facts.httpStatus === undefined ? {} : { httpStatus: facts.httpStatus }),
    ...extra.details,
  };
  return new WorkflowError(code, message, {
    details,
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
 * The vendor's own error code from an error body (Twilio sends `{ code: 21211, message: ... }`), kept
 * only when it is a number or a short token: the vendor's `message` often quotes the patient's number.
 */
function vendorErrorCode(text: string): string | number | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined;
  // Stripe nests its error: `{ error: { type, code, decline_code, message } }`.
  const nested = (parsed as { error?: unknown }).error;
  if ((parsed as { code?: unknown }).code === undefined && typeof nested === 'object' && nested !== null) parsed = nested;
  const code = (parsed as { code?: unknown }).code;
  if (typeof code === 'number' && Number.isFinite(code)) return code;
  if (typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code)) return code;
  return undefined;
}

/** A card issuer's reason (Stripe's `error.decline_code`, e.g. `insufficient_funds`), when it is a bare token. */
function vendorDeclineCode(text: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return undefined;
  }
  const code = (parsed as { error?: { decline_code?: unknown } } | null)?.error?.decline_code;
  return typeof code === 'string' && /^[A-Za-z0-9_.-]{1,64}$/.test(code) ? code : undefined;
}

/** Code for an aborted call: the caller's reason if it is a WorkflowError (e.g. `lock_lost`), else `timeout`. */
function callerAbortCode(reason: unknown): FailureCode {
  return reason instanceof WorkflowError ? reason.code : 'timeout';
}

/**
 * Sends one request (node:http, keep-alive) and classifies the outcome.
 *
 * Resolves only for 2xx with a JSON (or empty) body. Otherwise throws a {@link WorkflowError}:
 * - connection refused/reset, DNS failure, socket closed mid-body → `network`
 * - `timeoutMs` elapsed → `timeout`; the caller's signal aborted → its reason's code if that is a
 *   WorkflowError, else `timeout` (details.abortedBy says which)
 * - 429 → `rate_limited` with `retryAfterMs` from `Retry-After`; 5xx → `vendor_unavailable` (with
 *   `retryAfterMs` if the vendor sent one); 408 → `timeout`
 * - 401/403 → `config_missing` (bad or missing credentials); 3xx → `config_missing` (wrong base URL;
 *   redirects are not followed, a POST must not be silently replayed as a GET)
 * - other 4xx → `invalid_input`; a 2xx body that is not JSON → `vendor_unavailable`
 *
 * Every error's details hold `service`, `endpoint`, `latencyMs` and, once known, `httpStatus`.
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
    throw vendorError('config_missing', `${service} ${endpoint}: base URL is not a valid URL`, facts());
  }
  if (signal?.aborted) {
    throw vendorError(callerAbortCode(signal.reason), `${service} ${endpoint}: aborted before sending`, facts(), {
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

  let status: number | undefined;
  let headers: { get(name: string): string | null };
  let text: string;
  try {
    // Redirects are never followed (node:http does not): a POST must not be silently replayed.
    // The body is read inside the timeout too: a vendor that sends headers and then stalls is a timeout.
    const response = await send(new URL(request.url), {
      method: request.method,
      ...(request.headers === undefined ? {} : { headers: request.headers }),
      ...(request.body === undefined ? {} : { body: request.body }),
      signal: controller.signal,
    });
    status = response.status;
    headers = { get: response.header };
    text = response.text;
  } catch (err) {
    if (abortedBy === 'timeout') {
      throw vendorError('timeout', `${service} ${endpoint}: no complete response within ${request.timeoutMs}ms`, facts(status), {
        details: { abortedBy },
      });
    }
    if (abortedBy === 'caller') {
      throw vendorError(callerAbortCode(signal?.reason), `${service} ${endpoint}: aborted by caller`, facts(status), {
        details: { abortedBy },
      });
    }
    const errorCode = systemErrorCode(err);
    throw vendorError('network', `${service} ${endpoint}: network error${errorCode ? ` (${errorCode})` : ''}`, facts(status), {
      cause: err,
      ...(errorCode === undefined ? {} : { details: { errorCode } }),
    });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onCallerAbort);
  }

  const done = facts(status);
  if (status >= 200 && status < 300) {
    if (text.trim() === '') return { status, json: null, latencyMs: done.latencyMs };
    try {
      return { status, json: JSON.parse(text) as unknown, latencyMs: done.latencyMs };
    } catch {
      throw vendorError('vendor_unavailable', `${service} ${endpoint}: HTTP ${status} with a body that is not JSON`, done);
    }
  }

  const vendorCode = vendorErrorCode(text);
  const declineCode = vendorDeclineCode(text);
  const details = { ...(vendorCode === undefined ? {} : { vendorCode }), ...(declineCode === undefined ? {} : { declineCode }) };
  const label = `${service} ${endpoint}: HTTP ${status}`;
  if (status === 429) {
    const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
    throw vendorError('rate_limited', `${label} (rate limited)`, done, {
      details,
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    });
  }
  if (status === 401 || status === 403) {
    throw vendorError('config_missing', `${label} (credentials rejected)`, done, { details });
  }
  if (status === 408) throw vendorError('timeout', `${label} (vendor timed out)`, done, { details });
  if (status >= 300 && status < 400) {
    throw vendorError('config_missing', `${label} (redirect; check the base URL)`, done, { details });
  }
  if (status >= 400 && status < 500) {
    throw vendorError('invalid_input', `${label} (request rejected)`, done, { details });
  }
  // 5xx, and anything else a broken proxy may invent.
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'));
  throw vendorError('vendor_unavailable', label, done, {
    details,
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
  });
}

/**
 * Checks a 2xx body against the vendor's documented shape. A mismatch is `vendor_unavailable` (the
 * vendor changed or is broken, not our input); details carry issue paths and codes only, never values.
 */
export function parseVendorJson<S extends z.ZodType>(
  schema: S,
  response: VendorResponse,
  call: { service: string; endpoint: string },
): z.output<S> {
  const result = schema.safeParse(response.json);
  if (result.success) return result.data;
  throw vendorError(
    'vendor_unavailable',
    `${call.service} ${call.endpoint}: response does not match the expected shape`,
    { service: call.service, endpoint: call.endpoint, latencyMs: response.latencyMs, httpStatus: response.status },
    { details: { issues: result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), code: issue.code })) } },
  );
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
