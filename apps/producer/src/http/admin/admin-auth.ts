/**
 * Authentication of the operator surfaces (/admin/*, and /metrics). One operator account from the
 * environment (ADMIN_USER / ADMIN_PASSWORD). A browser logs in through a form that starts a
 * server-side session (security/admin-sessions.ts) and sets its id in an HMAC-signed, HttpOnly,
 * SameSite=Strict cookie; scripts may send HTTP basic auth instead, and Prometheus METRICS_TOKEN.
 * Every password and token guess, whichever way it is sent, goes through one credential throttle
 * (security/credential-throttle.ts), checked before the secret is compared. Without ADMIN_PASSWORD
 * every admin route answers 503 "admin disabled": the surfaces are never open.
 */
import { createHmac } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { ProducerDeps } from '../../platform/deps.js';
import type { AdminAuthMethod } from '../../platform/metrics.js';
import { AdminSessions, passwordFingerprint } from '../../security/admin-sessions.js';
import { clientAddress, TrustedProxies } from '../../security/client-address.js';
import { addressKey, CredentialThrottle, DEFAULT_THROTTLE, userKey, userNameHash } from '../../security/credential-throttle.js';
import { bearerToken, sameSecret } from '../../security/credentials.js';
import type { AdminIdentity, AppEnv } from '../app-env.js';
import { escapeHtml, page } from '../html.js';

export const SESSION_COOKIE = 'revos_admin';
export const LOGIN_PATH = '/admin/login';
export const LOGOUT_PATH = '/admin/logout';
/** The hidden form field (or `X-CSRF-Token` header) carrying a session's CSRF token. */
export const CSRF_FIELD = '_csrf';

type AdminAuthDeps = Pick<ProducerDeps, 'env' | 'redis' | 'log' | 'metrics'>;

/** What a request's admin credential amounts to. */
export type AdminVerdict =
  | { kind: 'admin'; identity: AdminIdentity }
  | { kind: 'anonymous' }
  | { kind: 'refused' }
  | { kind: 'locked'; retryAfterMs: number };

type PasswordCheck = { kind: 'ok' } | { kind: 'wrong' } | { kind: 'locked'; retryAfterMs: number };

export class AdminAuth {
  readonly enabled: boolean;
  readonly sessions: AdminSessions;
  private readonly secret: string;
  private readonly trusted: TrustedProxies;
  // One verdict per request: a basic-auth failure must count once however many guards ask.
  private readonly verdicts = new WeakMap<Request, Promise<AdminVerdict>>();

  constructor(
    private readonly deps: AdminAuthDeps,
    readonly throttle = new CredentialThrottle({ ...DEFAULT_THROTTLE, maxEntries: deps.env.ADMIN_AUTH_THROTTLE_ENTRIES }),
  ) {
    const { env } = deps;
    this.enabled = env.ADMIN_PASSWORD !== undefined;
    // Derived from the password when no secret is set: a new password invalidates old cookies too.
    this.secret = env.ADMIN_SESSION_SECRET ?? createHmac('sha256', 'revos-admin-session').update(env.ADMIN_PASSWORD ?? '').digest('hex');
    this.sessions = new AdminSessions(deps.redis, env.QUEUE_PREFIX, env.ADMIN_SESSION_TTL_S, passwordFingerprint(env.ADMIN_PASSWORD ?? '', this.secret));
    this.trusted = new TrustedProxies(env.TRUSTED_PROXIES);
  }

  /** The client address the throttle keys on (TRUSTED_PROXIES decides whether X-Forwarded-For counts). */
  clientOf(c: Context): string {
    const incoming = (c.env as { incoming?: { socket?: { remoteAddress?: string } } } | undefined)?.incoming;
    return clientAddress(incoming?.socket?.remoteAddress, c.req.header('x-forwarded-for'), this.trusted);
  }

  /** Who the request is (session cookie or basic auth); computed once per request. */
  identify(c: Context<AppEnv>): Promise<AdminVerdict> {
    let verdict = this.verdicts.get(c.req.raw);
    if (!verdict) {
      verdict = this.computeVerdict(c);
      this.verdicts.set(c.req.raw, verdict);
    }
    return verdict;
  }

  /** Throttle, then compare: a locked user name or address is refused before the password is looked at. */
  async checkPassword(c: Context, method: AdminAuthMethod, user: string, password: string): Promise<PasswordCheck> {
    const client = this.clientOf(c);
    const keys = [addressKey(client), userKey(user)];
    const retryAfterMs = this.throttle.retryAfterMs(keys);
    if (retryAfterMs > 0) return { kind: 'locked', retryAfterMs };
    if (this.credentialsValid(user, password)) {
      this.throttle.recordSuccess(keys);
      return { kind: 'ok' };
    }
    this.recordFailure(method, client, keys, user);
    return { kind: 'wrong' };
  }

  /** The CSRF token of a session (bound to its id), or null for basic auth, which has no session. */
  csrfToken(identity: AdminIdentity | undefined): string | null {
    if (identity?.via !== 'session' || !identity.sessionId) return null;
    return createHmac('sha256', this.secret).update(`csrf\0${identity.sessionId}`).digest('base64url');
  }

  csrfValid(identity: AdminIdentity, sent: string | undefined): boolean {
    const expected = this.csrfToken(identity);
    return expected !== null && typeof sent === 'string' && sameSecret(sent, expected);
  }

  /**
   * Guards a route: 503 when admin is disabled; 429 with Retry-After while the credential is locked;
   * 302 to the login form for a browser's page request; 401 (with a basic-auth challenge) otherwise.
   */
  guard(): MiddlewareHandler<AppEnv> {
    return async (c, next) => {
      if (!this.enabled) return disabled(c);
      const verdict = await this.identify(c);
      if (verdict.kind === 'admin') {
        c.set('admin', verdict.identity);
        return next();
      }
      if (verdict.kind === 'locked') return tooManyAttempts(c, verdict.retryAfterMs);
      const wantsHtml = c.req.method === 'GET' && (c.req.header('accept') ?? '').includes('text/html');
      if (wantsHtml) return c.redirect(`${LOGIN_PATH}?next=${encodeURIComponent(new URL(c.req.url).pathname)}`, 302);
      return c.json({ error: 'unauthorized' }, 401, { 'www-authenticate': 'Basic realm="revos admin", charset="UTF-8"' });
    };
  }

  /** GET /metrics: METRICS_TOKEN as a bearer token (throttled by client address), or the admin credentials. */
  metricsGuard(): MiddlewareHandler<AppEnv> {
    const adminGuard = this.guard();
    return async (c, next) => {
      const token = this.deps.env.METRICS_TOKEN;
      const sent = bearerToken(c.req.header('authorization'));
      if (!token || sent === null) return adminGuard(c, next);
      const client = this.clientOf(c);
      // Only the address: a bearer token has no user name, and a shared key would let anyone lock Prometheus out.
      const keys = [addressKey(client)];
      const retryAfterMs = this.throttle.retryAfterMs(keys);
      if (retryAfterMs > 0) return tooManyAttempts(c, retryAfterMs);
      if (sameSecret(sent, token)) {
        this.throttle.recordSuccess(keys);
        return next();
      }
      this.recordFailure('bearer', client, keys);
      return c.json({ error: 'unauthorized' }, 401);
    };
  }

  /** The session cookie's attributes: Secure whenever the public URL (or this request) is https. */
  async setSessionCookie(c: Context, sessionId: string): Promise<void> {
    const publicHttps = this.deps.env.PUBLIC_BASE_URL?.startsWith('https:') ?? false;
    await setSignedCookie(c, SESSION_COOKIE, sessionId, this.secret, {
      path: '/',
      httpOnly: true,
      sameSite: 'Strict',
      secure: publicHttps || new URL(c.req.url).protocol === 'https:',
      maxAge: this.deps.env.ADMIN_SESSION_TTL_S,
    });
  }

  private async computeVerdict(c: Context): Promise<AdminVerdict> {
    if (!this.enabled) return { kind: 'anonymous' };
    const basic = parseBasic(c.req.header('authorization'));
    if (basic) {
      const check = await this.checkPassword(c, 'basic', basic.user, basic.password);
      if (check.kind === 'ok') return { kind: 'admin', identity: { user: basic.user, via: 'basic' } };
      return check.kind === 'locked' ? check : { kind: 'refused' };
    }
    const sessionId = await getSignedCookie(c, this.secret, SESSION_COOKIE);
    if (typeof sessionId !== 'string' || sessionId === '') return { kind: 'anonymous' };
    const session = await this.sessions.find(sessionId);
    if (!session || !sameSecret(session.user, this.deps.env.ADMIN_USER)) return { kind: 'anonymous' };
    return { kind: 'admin', identity: { user: session.user, via: 'session', sessionId: session.id } };
  }

  private credentialsValid(user: string, password: string): boolean {
    const { ADMIN_USER, ADMIN_PASSWORD } = this.deps.env;
    // Both compared, always: no early exit that tells a wrong user from a wrong password by timing.
    const userOk = sameSecret(user, ADMIN_USER);
    const passwordOk = sameSecret(password, ADMIN_PASSWORD ?? '');
    return userOk && passwordOk && ADMIN_PASSWORD !== undefined;
  }

  private recordFailure(method: AdminAuthMethod, client: string, keys: string[], user?: string): void {
    const { log, metrics } = this.deps;
    // Never the password; the user name only as a short hash (a mistyped name may be the password).
    const fields = { auth_method: method, client, ...(user === undefined ? {} : { user_hash: userNameHash(user) }) };
    metrics.adminAuthFailure(method);
    log.warn(fields, 'admin credential refused');
    for (const key of this.throttle.recordFailure(keys)) {
      const kind = key.startsWith('user:') ? 'user' : 'address';
      metrics.adminAuthLockout(kind);
      log.warn({ ...fields, locked: kind }, 'admin credential locked after repeated failures');
    }
  }
}

function parseBasic(header: string | undefined): { user: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]*)\s*$/i.exec(header ?? '');
  if (!match) return null;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  // A header without a colon is still a guess: an empty user name, counted like any other.
  return colon < 0 ? { user: '', password: decoded } : { user: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

const disabled = (c: Context) => c.text('admin disabled: set ADMIN_PASSWORD to enable /admin', 503);

function tooManyAttempts(c: Context, retryAfterMs: number) {
  return c.json({ error: 'too_many_attempts', message: 'too many failed credentials from this client or for this user; try again after Retry-After seconds' }, 429, {
    'retry-after': String(Math.ceil(retryAfterMs / 1000)),
  });
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

function logoutForm(csrf: string | null): string {
  return page(
    'Log out',
    `<form class="login" method="post" action="${LOGOUT_PATH}">
  <h1>Log out of RevOS operations?</h1>
  <input type="hidden" name="${CSRF_FIELD}" value="${escapeHtml(csrf ?? '')}">
  <button type="submit">Log out</button>
</form>`,
    { nav: false },
  );
}

/** The login form and logout (a logout's same-origin and CSRF checks are the admin write guard's: admin-writes.ts). */
export function registerAdminAuthRoutes(app: Hono<AppEnv>, auth: AdminAuth): void {
  app.get(LOGIN_PATH, (c) => (auth.enabled ? c.html(loginForm(safeNext(c.req.query('next')))) : disabled(c)));
  app.post(LOGIN_PATH, async (c) => {
    if (!auth.enabled) return disabled(c);
    const form = await c.req.parseBody();
    const user = typeof form.user === 'string' ? form.user : '';
    const password = typeof form.password === 'string' ? form.password : '';
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    const check = await auth.checkPassword(c, 'form', user, password);
    if (check.kind === 'locked') {
      c.header('Retry-After', String(Math.ceil(check.retryAfterMs / 1000)));
      return c.html(loginForm(next, 'Too many failed attempts. Try again later.'), 429);
    }
    if (check.kind === 'wrong') return c.html(loginForm(next, 'Wrong user or password.'), 401);
    const session = await auth.sessions.start(user);
    await auth.setSessionCookie(c, session.id);
    return c.redirect(next, 303);
  });
  // A link (the board's and the pages' "Log out") cannot post: GET asks, the form posts.
  app.get(LOGOUT_PATH, async (c) => {
    if (!auth.enabled) return disabled(c);
    const verdict = await auth.identify(c);
    if (verdict.kind !== 'admin' || verdict.identity.via !== 'session') return c.redirect(LOGIN_PATH, 303);
    return c.html(logoutForm(auth.csrfToken(verdict.identity)));
  });
  app.post(LOGOUT_PATH, async (c) => {
    const verdict = await auth.identify(c);
    // Ended server-side: a copy of the cookie stops working at once, on every replica.
    if (verdict.kind === 'admin' && verdict.identity.sessionId) await auth.sessions.end(verdict.identity.sessionId);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    return c.redirect(LOGIN_PATH, 303);
  });
}
