/**
 * No cross-site writes: one middleware, mounted once in front of every state-changing /admin route
 * (task actions, logout, login, Bull Board's write API, anything added under /admin/api). A write
 * must prove it comes from the producer's own origin, and a session's write must also carry the
 * session's CSRF token.
 *
 * - Same origin: `Origin` equals PUBLIC_BASE_URL's origin (or, when unset, the request's own
 *   scheme://Host); with no Origin, `Sec-Fetch-Site: same-origin`. Anything else is refused (403
 *   cross_origin_refused): another site, another port of the same host, `localhost` for `127.0.0.1`.
 * - Neither header: not a browser (browsers send Origin on every cross-origin POST, PUT, PATCH and
 *   DELETE). A script with basic auth may write so; a session cookie may not (403 origin_required).
 * - Session writes carry the CSRF token (hidden `_csrf` field or `X-CSRF-Token` header), an HMAC of
 *   the session id, so a page that can make the browser post with the cookie still cannot forge it.
 *   Bull Board's own client cannot add our token to its JSON calls: its API (under /admin/queues/api/)
 *   is held to the origin check alone, which a cross-origin page cannot pass.
 * - Basic auth carries no session, hence no token: its writes are held to the origin check alone.
 */
import type { Context, MiddlewareHandler } from 'hono';
import type { AppEnv } from '../app-env.js';
import { CSRF_FIELD, LOGIN_PATH, type AdminAuth } from './admin-auth.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

type Provenance = 'same-origin' | 'cross-origin' | 'no-browser-headers';

/** The origin this producer is reached at: PUBLIC_BASE_URL when set, else the request's scheme://Host. */
export function expectedOrigin(c: Context, publicBaseUrl: string | undefined): string {
  return new URL(publicBaseUrl ?? c.req.url).origin;
}

function provenance(c: Context, expected: string): Provenance {
  const origin = c.req.header('origin');
  if (origin !== undefined) return origin === expected ? 'same-origin' : 'cross-origin';
  const site = c.req.header('sec-fetch-site');
  if (site !== undefined) return site === 'same-origin' ? 'same-origin' : 'cross-origin';
  return 'no-browser-headers';
}

async function sentToken(c: Context): Promise<string | undefined> {
  const header = c.req.header('x-csrf-token');
  if (header !== undefined) return header;
  const type = c.req.header('content-type') ?? '';
  if (!type.startsWith('application/x-www-form-urlencoded') && !type.startsWith('multipart/form-data')) return undefined;
  // Hono caches the parsed body: the route reads the same form afterwards.
  const value = (await c.req.parseBody())[CSRF_FIELD];
  return typeof value === 'string' ? value : undefined;
}

export function requireSameOriginWrites(auth: AdminAuth, options: { publicBaseUrl: string | undefined; boardApiPath: string }): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (SAFE_METHODS.has(c.req.method)) return next();
    const expected = expectedOrigin(c, options.publicBaseUrl);
    const from = provenance(c, expected);
    if (from === 'cross-origin') {
      return c.json({ error: 'cross_origin_refused', message: `an admin write must come from ${expected} (Origin, or Sec-Fetch-Site: same-origin)` }, 403);
    }
    if (c.req.path === LOGIN_PATH) return next(); // no session yet; the origin is what protects a login
    const verdict = await auth.identify(c);
    // Not an operator: the admin guard (or logout, which then only clears the cookie) answers.
    if (verdict.kind !== 'admin' || verdict.identity.via === 'basic') return next();
    if (from === 'no-browser-headers') {
      return c.json({ error: 'origin_required', message: 'a write with the session cookie must carry Origin (or Sec-Fetch-Site: same-origin), as browsers do' }, 403);
    }
    if (c.req.path.startsWith(`${options.boardApiPath}/`)) return next();
    if (!auth.csrfValid(verdict.identity, await sentToken(c))) {
      return c.json({ error: 'csrf_token_invalid', message: `a write with the session cookie must carry this session's token (form field ${CSRF_FIELD} or header X-CSRF-Token)` }, 403);
    }
    return next();
  };
}
