/**
 * Webhook signatures, both sides: the signing half is exported so tests, docs and callers
 * produce exactly what the verifying half accepts. Every comparison is constant-time.
 *
 * The Twilio half follows the official `twilio` library's `validateRequest` (6.x), which the tests
 * use as their oracle: the same data string, the same URL candidates, the same algorithms.
 */
import { createHash, createHmac } from 'node:crypto';
import { parse as parseLegacyQuery, stringify as stringifyLegacyQuery } from 'node:querystring';
import { sameSecret } from '../../security/credentials.js';

/** POST parameters as Twilio sends them (form fields; a name may repeat). */
export type FormParams = URLSearchParams | Record<string, string> | ReadonlyArray<readonly [string, string]>;

function entries(params: FormParams): [string, string][] {
  if (params instanceof URLSearchParams) return [...params.entries()];
  if (Array.isArray(params)) return params.map(([k, v]) => [k, v] as [string, string]);
  return Object.entries(params as Record<string, string>);
}

/** Code-unit order ("Unix-style case-sensitive"), which is what Twilio sorts by; never locale order. */
const byCodeUnit = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The algorithms Twilio signs with: the Auth Token's (the default) and a SharedKey's. */
export type TwilioSignatureAlgorithm = 'HMAC_SHA1' | 'HMAC_SHA256';
const HASH_OF: Record<TwilioSignatureAlgorithm, 'sha1' | 'sha256'> = { HMAC_SHA1: 'sha1', HMAC_SHA256: 'sha256' };

/**
 * The algorithm an `X-Twilio-Webhooks-Signature-Settings` header (`key=<id>,algorithm=HMAC_SHA256`)
 * names: absent, empty or without `algorithm=` means the Auth Token's HMAC_SHA1. Upper-cased; an
 * algorithm we do not know is returned as named, for the caller to refuse.
 */
export function twilioSignatureAlgorithm(settingsHeader: string | null | undefined): string {
  for (const part of (settingsHeader ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === 'algorithm' && part.slice(eq + 1).trim()) return part.slice(eq + 1).trim().toUpperCase();
  }
  return 'HMAC_SHA1';
}

const isKnownAlgorithm = (name: string): name is TwilioSignatureAlgorithm => Object.hasOwn(HASH_OF, name);

/**
 * Twilio's request signature: base64(HMAC(secret, url + each POST parameter's name and value, sorted
 * by name)). `url` is the full URL Twilio requested, query string included. A name sent several
 * times is signed as the library does: its distinct values, sorted, each preceded by the name (an
 * identical value sent twice counts once).
 */
export function twilioSignature(secret: string, url: string, params: FormParams, algorithm: TwilioSignatureAlgorithm = 'HMAC_SHA1'): string {
  const byName = new Map<string, Set<string>>();
  for (const [k, v] of entries(params)) (byName.get(k) ?? byName.set(k, new Set()).get(k)!).add(v);
  let data = url;
  for (const name of [...byName.keys()].sort(byCodeUnit)) for (const value of [...byName.get(name)!].sort(byCodeUnit)) data += name + value;
  return createHmac(HASH_OF[algorithm], secret).update(data, 'utf8').digest('base64');
}

/**
 * Whether `signature` (the X-Twilio-Signature header) is Twilio's signature of this form post. Each
 * URL Twilio may have signed (twilioSignedUrlCandidates) is tried, every one compared in constant
 * time with no early exit.
 */
export function verifyTwilioSignature(
  secret: string,
  url: string,
  params: FormParams,
  signature: string | null | undefined,
  algorithm: TwilioSignatureAlgorithm = 'HMAC_SHA1',
): boolean {
  if (!signature) return false;
  let match = false;
  for (const candidate of twilioSignedUrlCandidates(url)) match = sameSecret(twilioSignature(secret, candidate, params, algorithm), signature) || match;
  return match;
}

/**
 * The URLs the library tries, in its order: the URL as received with and without its default port;
 * then the same URL as `new URL()` re-serialises it (`'` becomes `%27`, ...), and that with its query
 * re-encoded by Node's legacy `querystring` (`'` back as is, but `+` as `%20`), for Twilio back ends
 * that signed an escaped form. One deliberate difference: a non-default port (`:8443`) is never
 * dropped (the library drops any port), since a signature over another port is over another URL.
 */
export function twilioSignedUrlCandidates(url: string): string[] {
  const candidates = new Set(signedUrlVariants(url));
  let normalized: string;
  try {
    normalized = new URL(url).toString();
  } catch {
    return [...candidates];
  }
  for (const variant of signedUrlVariants(normalized)) {
    candidates.add(variant);
    candidates.add(withLegacyQuerystring(variant));
  }
  return [...candidates];
}

function withLegacyQuerystring(url: string): string {
  const q = url.indexOf('?');
  if (q === -1 || q === url.length - 1) return url;
  return `${url.slice(0, q)}?${stringifyLegacyQuery(parseLegacyQuery(url.slice(q + 1)))}`;
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

export interface TwilioRequestInput {
  /** The URL Twilio requested, as received: PUBLIC_BASE_URL (or our origin) + the raw path and query. */
  url: string;
  /** The body exactly as received (a form, or JSON when the URL carries `bodySHA256`). */
  rawBody: string;
  /** X-Twilio-Signature. */
  signature: string | null | undefined;
  /** X-Twilio-Webhooks-Signature-Settings: present when a Webhook Rule has Twilio sign with a SharedKey. */
  signatureSettings: string | null | undefined;
  /** TWILIO_AUTH_TOKEN: the key of every signature without the settings header. */
  authToken: string;
  /** TWILIO_WEBHOOK_SHARED_KEY_SECRET: the key of every signature with it. */
  sharedKeySecret: string | undefined;
}

export type TwilioSignatureCheck =
  | { ok: true }
  | { ok: false; reason: 'missing' | 'mismatch' | 'body_hash_mismatch' | 'unsupported_algorithm' | 'shared_key_secret_unset'; algorithm?: string };

/**
 * Verifies a Twilio webhook as the official library's middleware does. Without the settings header:
 * HMAC-SHA1 with the Auth Token. With it: the SharedKey secret and the algorithm it names (HMAC_SHA1
 * or HMAC_SHA256); an unknown algorithm, or no secret configured, is refused. A URL with a
 * `bodySHA256` query parameter is a JSON post: the signature covers the URL alone (no parameters)
 * and the body must hash (hex SHA-256) to that parameter.
 */
export function verifyTwilioRequest(input: TwilioRequestInput): TwilioSignatureCheck {
  if (!input.signature) return { ok: false, reason: 'missing' };
  const algorithm = twilioSignatureAlgorithm(input.signatureSettings);
  // The name comes from the request: bounded before it reaches a log line.
  if (!isKnownAlgorithm(algorithm)) return { ok: false, reason: 'unsupported_algorithm', algorithm: algorithm.slice(0, 32) };
  const secret = input.signatureSettings ? input.sharedKeySecret : input.authToken;
  if (!secret) return { ok: false, reason: 'shared_key_secret_unset', algorithm };
  const bodyHash = bodySha256Param(input.url);
  const params: FormParams = bodyHash === null ? new URLSearchParams(input.rawBody) : [];
  if (!verifyTwilioSignature(secret, input.url, params, input.signature, algorithm)) return { ok: false, reason: 'mismatch', algorithm };
  if (bodyHash !== null && !sameSecret(createHash('sha256').update(input.rawBody, 'utf8').digest('hex'), bodyHash)) {
    return { ok: false, reason: 'body_hash_mismatch', algorithm };
  }
  return { ok: true };
}

/** The `bodySHA256` query parameter of a JSON webhook's URL, or null for a form post. */
function bodySha256Param(url: string): string | null {
  const q = url.indexOf('?');
  return q === -1 ? null : new URLSearchParams(url.slice(q + 1).split('#')[0]).get('bodySHA256');
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
  for (const candidate of offered) match = sameSecret(expected, candidate) || match;
  return match ? { ok: true } : { ok: false, reason: 'mismatch' };
}

/**
 * The URL Twilio requested, as it sent it: the origin (PUBLIC_BASE_URL behind a proxy, else the
 * request's own scheme://Host) followed by the request target exactly as received. Never re-encoded:
 * `new URL` turns `'` into `%27`, and Twilio signed the `'`. `rawTarget` is Node's `req.url`; absent
 * (or in absolute form), the path and query of `requestUrl` stand in.
 */
export function signedUrl(requestUrl: string, rawTarget: string | undefined, publicBaseUrl: string | undefined): string {
  const requestOrigin = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i.exec(requestUrl)?.[0] ?? '';
  const origin = publicBaseUrl ? publicBaseUrl.replace(/\/+$/, '') : requestOrigin;
  const target = rawTarget?.startsWith('/') ? rawTarget : requestUrl.slice(requestOrigin.length).split('#')[0]!;
  return origin + target;
}
