/**
 * Webhook signatures, both sides: the signing half is exported so tests, docs and callers
 * produce exactly what the verifying half accepts. Every comparison is constant-time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** POST parameters as Twilio sends them (form fields; a name may repeat). */
export type FormParams = URLSearchParams | Record<string, string> | ReadonlyArray<readonly [string, string]>;

function entries(params: FormParams): [string, string][] {
  if (params instanceof URLSearchParams) return [...params.entries()];
  if (Array.isArray(params)) return params.map(([k, v]) => [k, v] as [string, string]);
  return Object.entries(params as Record<string, string>);
}

/** Code-unit order ("Unix-style case-sensitive"), which is what Twilio sorts by; never locale order. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Twilio's request signature: base64(HMAC-SHA1(authToken, url + each POST parameter's name and
 * value, sorted by name)). `url` is the full URL Twilio requested, query string included.
 */
export function twilioSignature(authToken: string, url: string, params: FormParams): string {
  const sorted = entries(params).sort(([ka, va], [kb, vb]) => byCodeUnit(ka, kb) || byCodeUnit(va, vb));
  const data = url + sorted.map(([k, v]) => k + v).join('');
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/**
 * Whether `signature` (the X-Twilio-Signature header) is Twilio's signature of this request. Twilio
 * signs the URL as it was configured, which may or may not spell the default port (`:443`, `:80`)
 * while the URL we rebuild may differ; like Twilio's own libraries, both spellings are tried (each
 * compared in constant time, no early exit).
 */
export function verifyTwilioSignature(authToken: string, url: string, params: FormParams, signature: string | null | undefined): boolean {
  if (!signature) return false;
  let match = false;
  for (const candidate of signedUrlVariants(url)) match = constantTimeEqual(twilioSignature(authToken, candidate, params), signature) || match;
  return match;
}

const DEFAULT_PORTS: Record<string, string> = { 'http://': '80', 'https://': '443' };

/** The URL as given, plus the same URL with its default port added (if absent) or removed (if present). */
export function signedUrlVariants(url: string): string[] {
  // String surgery, not `new URL`: URL normalises the default port away, which is the very difference.
  const m = /^(https?:\/\/)([^/?#:]+)(?::(\d+))?(.*)$/i.exec(url);
  if (!m) return [url];
  const [, scheme, host, port, rest] = m as unknown as [string, string, string, string | undefined, string];
  const defaultPort = DEFAULT_PORTS[scheme.toLowerCase()];
  if (port === undefined) return [url, `${scheme}${host}:${defaultPort}${rest}`];
  if (port === defaultPort) return [url, `${scheme}${host}${rest}`];
  return [url];
}

/** The X-Revos-Signature header value for a generic webhook: `v1=<hex HMAC-SHA256(secret, timestamp.rawBody)>`. */
/**
 * `v1=<hex HMAC-SHA256(secret, timestamp + "." + path + "." + body)>`. The path
 * (`/webhooks/generic/<tenant>/<workflow>`) is signed too, so a captured request
 * cannot be replayed against another tenant or workflow within the tolerance.
 */
export function signGeneric(secret: string, timestamp: number | string, path: string, rawBody: string): string {
  return `v1=${createHmac('sha256', secret).update(`${timestamp}.${path}.${rawBody}`, 'utf8').digest('hex')}`;
}

export interface GenericSignatureInput {
  secret: string;
  /** X-Revos-Timestamp: unix seconds. */
  timestamp: string | null | undefined;
  /** X-Revos-Signature: `v1=<hex>`; several comma-separated values are accepted (secret rotation). */
  signature: string | null | undefined;
  /** The request path as received (no query string), e.g. `/webhooks/generic/t_acme/WF11_Log_Event`. */
  path: string;
  /** The body exactly as received: the signature covers the bytes, not a re-serialisation. */
  rawBody: string;
  toleranceS: number;
  /** Unix seconds; defaults to the clock. */
  nowS?: number;
}

export type GenericSignatureCheck = { ok: true } | { ok: false; reason: 'missing' | 'bad_timestamp' | 'stale_timestamp' | 'mismatch' };

/**
 * Verifies a generic webhook: a fresh timestamp (within ±toleranceS, so a captured request cannot
 * be replayed later) and an HMAC over `timestamp + '.' + rawBody`.
 */
export function verifyGenericSignature(input: GenericSignatureInput): GenericSignatureCheck {
  if (!input.timestamp || !input.signature) return { ok: false, reason: 'missing' };
  if (!/^\d{1,12}$/.test(input.timestamp)) return { ok: false, reason: 'bad_timestamp' };
  const nowS = input.nowS ?? Math.floor(Date.now() / 1000);
  if (Math.abs(nowS - Number(input.timestamp)) > input.toleranceS) return { ok: false, reason: 'stale_timestamp' };
  const expected = signGeneric(input.secret, input.timestamp, input.path, input.rawBody);
  const offered = input.signature.split(',').map((s) => s.trim());
  // Compare against every offered value (no early exit) so timing does not reveal which matched.
  let match = false;
  for (const candidate of offered) match = constantTimeEqual(expected, candidate) || match;
  return match ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/** timingSafeEqual needs equal lengths; a length difference is no secret (the expected length is public). */
function constantTimeEqual(expected: string, offered: string): boolean {
  const a = Buffer.from(expected, 'utf8');
  const b = Buffer.from(offered, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The URL Twilio signed: the public base URL (behind a proxy) with our path and query, or the request's own URL. */
export function signedUrl(requestUrl: string, publicBaseUrl: string | undefined): string {
  if (!publicBaseUrl) return requestUrl;
  const { pathname, search } = new URL(requestUrl);
  return `${publicBaseUrl.replace(/\/+$/, '')}${pathname}${search}`;
}
