/**
 * Request bodies at the door: the size limit for every route, and the JSON body of the /v1 API.
 * Every bad body is a 4xx naming what is wrong, never a 500:
 *   - over MAX_BODY_BYTES: 413 with `Connection: close`, answered after the body is read and thrown
 *     away, so the server never closes (and resets) a socket the client is still writing to: a
 *     client that keeps connections alive reads the 413, and its next request goes on a new one;
 *   - empty: `{}` where the body is optional, 400 `missing_body` where it is required;
 *   - not JSON by its Content-Type: 415 `unsupported_media_type`; JSON that does not parse: 400 `invalid_json`.
 * Replaces hono's bodyLimit, which answered 500 on Node 20 for a POST without a body (`curl -X POST`):
 * it rebuilt the request from the one whose body it had just read.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from './app-env.js';

/** Largest request body accepted; envelopes and webhook forms are far smaller. */
export const MAX_BODY_BYTES = 1024 * 1024;
/** An oversized body is read (and dropped) up to this much before the 413, so the close is clean... */
const DRAIN_MAX_BYTES = 32 * 1024 * 1024;
/** ... and for at most this long; a sender past either is cut off (its socket may then be reset). */
const DRAIN_MAX_MS = 10_000;

type Drained = 'all' | 'cut_off';

/** Reads the rest of a body and throws it away, within the drain bounds. */
async function drain(reader: ReadableStreamDefaultReader<Uint8Array>, alreadyRead: number): Promise<Drained> {
  let read = alreadyRead;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'late'>((resolve) => {
    timer = setTimeout(() => resolve('late'), DRAIN_MAX_MS);
  });
  try {
    for (;;) {
      const next = await Promise.race([reader.read(), deadline]);
      if (next === 'late') break;
      if (next.done) return 'all';
      read += next.value.length;
      if (read > DRAIN_MAX_BYTES) break;
    }
    await reader.cancel().catch(() => {});
    return 'cut_off';
  } finally {
    clearTimeout(timer);
  }
}

function tooLarge(c: Context<AppEnv>): Response {
  // `Connection: close`: node closes the socket after this answer; the body was read first, so nothing is left in flight to reset.
  return c.json({ error: 'payload_too_large', message: `the request body is over ${MAX_BODY_BYTES} bytes` }, 413, { connection: 'close' });
}

/**
 * The size limit, before any route. A body with a Content-Length over the limit is drained and
 * answered 413; a chunked one is read here, counting, and handed on as bytes; no Content-Length and
 * no Transfer-Encoding means no body (HTTP/1.1), which passes untouched.
 */
export function limitBody(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const raw = c.req.raw;
    const chunked = raw.headers.has('transfer-encoding');
    const declared = raw.headers.get('content-length');
    if (!raw.body || (!chunked && (declared === null || Number(declared) <= MAX_BODY_BYTES))) return next();
    const reader = raw.body.getReader();
    if (!chunked) {
      await drain(reader, 0);
      return tooLarge(c);
    }
    const chunks: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.length;
      if (size > MAX_BODY_BYTES) {
        await drain(reader, size);
        return tooLarge(c);
      }
      chunks.push(value);
    }
    // A new request from the URL, not from `raw`: undici refuses to rebuild a request whose body was read.
    const headers = new Headers(raw.headers);
    headers.delete('transfer-encoding');
    c.req.raw = new Request(raw.url, { method: raw.method, headers, body: Buffer.concat(chunks), signal: raw.signal });
    return next();
  };
}

/** The outcome of reading a JSON body: the value, or the answer to send. */
export type JsonBody = { ok: true; value: unknown } | { ok: false; response: Response };

/** `application/json` or any `+json` type, parameters (charset) allowed. */
function isJsonType(contentType: string | undefined): boolean {
  const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/**
 * The JSON body of a /v1 route. `optional`: an empty body reads as `{}` (a task's claim takes an
 * optional actor); `required`: it is a 400 naming the body.
 */
export async function readJsonBody(c: Context<AppEnv>, presence: 'required' | 'optional'): Promise<JsonBody> {
  const text = await c.req.text();
  if (text.trim() === '') {
    if (presence === 'optional') return { ok: true, value: {} };
    return { ok: false, response: c.json({ error: 'missing_body', issues: [{ path: '', rule: 'required', message: 'a JSON body is required (Content-Type: application/json)' }] }, 400) };
  }
  if (!isJsonType(c.req.header('content-type'))) {
    return {
      ok: false,
      response: c.json({ error: 'unsupported_media_type', issues: [{ path: '', rule: 'content_type', message: 'the body must be JSON, sent with Content-Type: application/json' }] }, 415),
    };
  }
  try {
    return { ok: true, value: JSON.parse(text) as unknown };
  } catch {
    return { ok: false, response: invalidJson(c) };
  }
}

/** 400 `invalid_json`, with `issues` like every other 400 (the document's RunRefused requires them). */
export function invalidJson(c: Context<AppEnv>): Response {
  return c.json({ error: 'invalid_json', issues: [{ path: '', rule: 'json', message: 'the body is not valid JSON' }] }, 400);
}
