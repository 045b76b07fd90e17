/**
 * Authentication of the operator surfaces (/admin/*, and /metrics without METRICS_TOKEN).
 * One operator account from the environment (ADMIN_USER / ADMIN_PASSWORD). A browser logs in
 * through a form that sets an HMAC-signed, HttpOnly, SameSite=Strict session cookie; scripts may
 * send HTTP basic auth instead. Without ADMIN_PASSWORD every admin route answers 503
 * "admin disabled": the surfaces are never open.
 */
import { createHmac } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { ProducerEnv } from '../../platform/env.js';
import { sameSecret } from '../../security/credentials.js';
import type { AppEnv } from '../app-env.js';
import { escapeHtml, page } from '../html.js';
import { LoginThrottle } from './login-throttle.js';

export const SESSION_COOKIE = 'revos_admin';
export const LOGIN_PATH = '/admin/login';

type AdminEnv = Pick<ProducerEnv, 'ADMIN_USER' | 'ADMIN_PASSWORD' | 'ADMIN_SESSION_SECRET' | 'ADMIN_SESSION_TTL_S'>;

function sessionSecret(env: AdminEnv): string {
  // Derived from the password when no secret is set: a new password invalidates old sessions.
  return env.ADMIN_SESSION_SECRET ?? createHmac('sha256', 'revos-admin-session').update(env.ADMIN_PASSWORD ?? '').digest('hex');
}

function credentialsValid(env: AdminEnv, user: string, password: string): boolean {
  // Both compared, always: no early exit that tells a wrong user from a wrong password by timing.
  const userOk = sameSecret(user, env.ADMIN_USER);
  const passwordOk = sameSecret(password, env.ADMIN_PASSWORD ?? '');
  return userOk && passwordOk && env.ADMIN_PASSWORD !== undefined;
}

/** The operator a request authenticates as (session cookie or basic auth), or null. */
export async function adminUser(c: Context, env: AdminEnv): Promise<string | null> {
  if (!env.ADMIN_PASSWORD) return null;
  const header = c.req.header('authorization') ?? '';
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (basic) {
    const decoded = Buffer.from(basic[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon > 0 && credentialsValid(env, decoded.slice(0, colon), decoded.slice(colon + 1))) return decoded.slice(0, colon);
    return null;
  }
  const session = await getSignedCookie(c, sessionSecret(env), SESSION_COOKIE);
  if (typeof session !== 'string') return null;
  const dot = session.lastIndexOf('.');
  const expires = Number(session.slice(dot + 1));
  if (dot <= 0 || !Number.isFinite(expires) || expires < Date.now()) return null;
  const user = session.slice(0, dot);
  return sameSecret(user, env.ADMIN_USER) ? user : null;
}

const disabled = (c: Context) => c.text('admin disabled: set ADMIN_PASSWORD to enable /admin', 503);

/**
 * Guards a route: 503 when admin is disabled; 302 to the login form for a browser's page request;
 * 401 (with a basic-auth challenge) for anything else.
 */
export function requireAdmin(env: AdminEnv): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (!env.ADMIN_PASSWORD) return disabled(c);
    if (await adminUser(c, env)) return next();
    const wantsHtml = c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html');
    if (wantsHtml) return c.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 302);
    return c.json({ error: 'unauthorized' }, 401, { 'www-authenticate': 'Basic realm="revos admin", charset="UTF-8"' });
  };
}

/** Only paths under /admin/ are followed after login (no open redirect). */
function safeNext(next: string | undefined): string {
  return next && /^\/admin\/[A-Za-z0-9/_\-.%]*$/.test(next) && !next.startsWith('//') ? next : '/admin/queues';
}

function loginForm(next: string, error?: string): string {
  return page(
    'Sign in',
    `<form class="login" method="post" action="${LOGIN_PATH}">
  <h1>RevOS operations</h1>
  ${error ? `<p class="error">${escapeHtml(error)}</p>` : ''}
  <label>User <input name="user" autocomplete="username" required autofocus></label>
  <label>Password <input name="password" type="password" autocomplete="current-password" required></label>
  <input type="hidden" name="next" value="${escapeHtml(next)}">
  <button type="submit">Sign in</button>
</form>`,
    { nav: false },
  );
}

/** The client a login attempt comes from: the socket's peer address (behind a proxy, the proxy's). */
function clientOf(c: Context): string {
  const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
  return incoming?.socket?.remoteAddress ?? 'unknown';
}

export function registerAdminAuthRoutes(app: Hono<AppEnv>, env: AdminEnv, throttle = new LoginThrottle()): void {
  app.get(LOGIN_PATH, (c) => (env.ADMIN_PASSWORD ? c.html(loginForm(safeNext(c.req.query('next')))) : disabled(c)));
  app.post(LOGIN_PATH, async (c) => {
    if (!env.ADMIN_PASSWORD) return disabled(c);
    const form = await c.req.parseBody();
    const user = typeof form.user === 'string' ? form.user : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    const client = clientOf(c);
    const waitMs = throttle.retryAfterMs(client, user);
    if (waitMs > 0) {
      c.header('Retry-After', String(Math.ceil(waitMs / 1000)));
      return c.html(loginForm(next, 'Too many failed attempts. Try again later.'), 429);
    }
    if (!credentialsValid(env, user, password)) {
      throttle.recordFailure(client, user);
      return c.html(loginForm(next, 'Wrong user or password.'), 401);
    }
    throttle.recordSuccess(client, user);
    const expires = Date.now() + env.ADMIN_SESSION_TTL_S * 1000;
    await setSignedCookie(c, SESSION_COOKIE, `${user}.${expires}`, sessionSecret(env), {
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
      secure: new URL(c.req.url).protocol === 'https:',
      maxAge: env.ADMIN_SESSION_TTL_S,
    });
    return c.redirect(next, 303);
  });
  const logout = (c: Context) => {
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect(LOGIN_PATH, 303);
  };
  app.get('/admin/logout', logout);
  app.post('/admin/logout', logout);
}
