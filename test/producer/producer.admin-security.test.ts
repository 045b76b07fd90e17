/**
 * The operator surfaces as an attacker and a careless operator would try them, over real HTTP against
 * real Redis and PostgreSQL: password guessing by every credential (form, basic auth, metrics
 * bearer), cross-origin writes, Bull Board's add-job door, and sessions that must end when the
 * operator logs out or the password changes.
 */
import { openStaffTask } from '@revos/db';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from './helpers.js';

const PASSWORD = 'correct horse battery';
const METRICS_TOKEN = 'admin-security-metrics-token';
const SESSION_SECRET = 'admin-security-session-secret-0123';
let h: Harness;
let p: TestProducer;

beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  p = await startTestProducer(h, { ADMIN_PASSWORD: PASSWORD, ADMIN_SESSION_SECRET: SESSION_SECRET, METRICS_TOKEN });
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

/** A producer of its own (its own throttle memory), closed after `fn`. */
async function withProducer<T>(env: Record<string, string>, fn: (q: TestProducer) => Promise<T>): Promise<T> {
  const q = await startTestProducer(h, { ADMIN_PASSWORD: PASSWORD, METRICS_TOKEN, ...env });
  try {
    return await fn(q);
  } finally {
    await q.close();
  }
}

const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
/** A client behind the trusted proxy (127.0.0.1 in these tests): X-Forwarded-For names it. */
const from = (address: string) => ({ 'x-forwarded-for': address });
let nextAddress = 0;
const freshAddress = () => `198.51.${Math.floor(++nextAddress / 250)}.${(nextAddress % 250) + 1}`;

function formLogin(q: TestProducer, user: string, password: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${q.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ user, password, next: '/admin/tasks' }).toString(),
  });
}

/** Logs in through the form; returns the `revos_admin=...` cookie pair. */
async function sessionCookie(q: TestProducer): Promise<string> {
  const res = await formLogin(q, 'admin', PASSWORD);
  expect(res.status).toBe(303);
  const cookie = res.headers.getSetCookie().find((c) => c.startsWith('revos_admin='));
  expect(cookie).toBeDefined();
  return cookie!.split(';')[0]!;
}

async function newTask(): Promise<string> {
  const id = ulid();
  const { taskId } = await openStaffTask(h.db.sql, {
    tenantId: TENANT,
    workflowRunId: `run_${id}`,
    rootRunId: `run_${id}`,
    idempotencyKey: `idem:${TENANT}:WF21_Escalate_To_Staff:${id}:x`,
    kind: 'escalation',
    reason: 'security test',
    subject: {},
    omitEventPayload: true,
  });
  return taskId;
}

async function taskStatus(taskId: string): Promise<string> {
  const [row] = await h.db.sql<{ status: string }[]>`select status from tasks where task_id = ${taskId}`;
  return row!.status;
}

/** The CSRF token the task page's forms carry for this session. */
async function csrfOf(q: TestProducer, cookie: string): Promise<string> {
  const html = await (await fetch(`${q.url}/admin/tasks`, { headers: { cookie } })).text();
  const match = /name="_csrf" value="([^"]+)"/.exec(html);
  expect(match, 'the task page carries a CSRF field').not.toBeNull();
  return match![1]!;
}

function claim(q: TestProducer, taskId: string, headers: Record<string, string>, form: Record<string, string> = {}): Promise<Response> {
  return fetch(`${q.url}/admin/tasks/${TENANT}/${taskId}/claim`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ filter: '', ...form }).toString(),
  });
}

async function metricValue(q: TestProducer, name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${q.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}`, ...from(freshAddress()) } })).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}}`));
  return line ? Number(line.split(' ').pop()) : Number.NaN;
}

describe('one throttle for every credential', () => {
  it('basic auth guesses lock the user and the address: the right password is then 429 with Retry-After, on every door', async () => {
    await withProducer({ TRUSTED_PROXIES: '127.0.0.1,::1' }, async (q) => {
      const attacker = freshAddress();
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${q.url}/admin/queues/api/queues`, { headers: { authorization: basic('admin', `guess-password-${i}`), ...from(attacker) } });
        expect(res.status, `guess ${i}`).toBe(401);
      }
      const right = await fetch(`${q.url}/admin/queues/api/queues`, { headers: { authorization: basic('admin', PASSWORD), ...from(attacker) } });
      expect(right.status).toBe(429);
      expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(((await right.json()) as { error: string }).error).toBe('too_many_attempts');
      // The user name is locked wherever it is tried from, and by any door.
      expect((await formLogin(q, 'admin', PASSWORD, from(freshAddress()))).status).toBe(429);
      expect((await fetch(`${q.url}/metrics`, { headers: { authorization: basic('admin', PASSWORD), ...from(freshAddress()) } })).status).toBe(429);
      // Another user name from the locked address: the address is locked too.
      expect((await formLogin(q, 'someone', 'whatever-password', from(attacker))).status).toBe(429);

      expect(await metricValue(q, 'revos_admin_auth_failures_total', 'method="basic"')).toBe(6);
      expect(await metricValue(q, 'revos_admin_auth_lockouts_total', 'key="user"')).toBe(1);
      expect(await metricValue(q, 'revos_admin_auth_lockouts_total', 'key="address"')).toBe(1);
      // Logged without the password, and the user name only as a short hash.
      const refused = q.logText.filter((l) => l.includes('admin credential refused'));
      expect(refused).toHaveLength(6);
      expect(JSON.parse(refused[0]!)).toMatchObject({ auth_method: 'basic', client: attacker, user_hash: expect.stringMatching(/^[0-9a-f]{12}$/) });
      expect(q.logText.join('')).not.toContain('guess-password');
      expect(q.logText.some((l) => l.includes('admin credential locked'))).toBe(true);
    });
  });

  it('a flood of failed logins with random user names from random addresses (twice the table) does not evict the lockout', async () => {
    // The reported attack was 10,000 names against a 10,000-key table; the same at a tenth of the size.
    await withProducer({ TRUSTED_PROXIES: '127.0.0.1,::1', ADMIN_AUTH_THROTTLE_ENTRIES: '1000' }, async (q) => {
      const started = Date.now();
      for (let i = 0; i < 6; i++) expect((await formLogin(q, 'admin', `guess-${i}`, from(freshAddress()))).status).toBe(401);
      expect((await formLogin(q, 'admin', PASSWORD, from(freshAddress()))).status).toBe(429);
      let sent = 0;
      const worker = async () => {
        while (sent < 1_000) {
          sent += 1;
          const res = await formLogin(q, `random-${ulid()}`, 'wrong-password', from(freshAddress()));
          expect([401, 429]).toContain(res.status);
        }
      };
      await Promise.all(Array.from({ length: 16 }, worker));
      const after = await formLogin(q, 'admin', PASSWORD, from(freshAddress()));
      expect(Date.now() - started, 'the flood must finish inside the 30 s lock to prove anything').toBeLessThan(30_000);
      expect(after.status).toBe(429);
    });
  }, 60_000);

  it('X-Forwarded-For from a peer that is not a trusted proxy is ignored: rotating it does not escape the lock', async () => {
    await withProducer({}, async (q) => {
      for (let i = 0; i < 6; i++) {
        const res = await fetch(`${q.url}/admin/api/tasks`, { headers: { authorization: basic(`name-${i}`, 'wrong-password'), ...from(freshAddress()) } });
        expect(res.status).toBe(401);
      }
      const res = await fetch(`${q.url}/admin/api/tasks`, { headers: { authorization: basic('admin', PASSWORD), ...from(freshAddress()) } });
      expect(res.status).toBe(429);
    });
  });

  it('the metrics bearer token is throttled by client address, and Prometheus elsewhere keeps scraping', async () => {
    await withProducer({ TRUSTED_PROXIES: '127.0.0.1' }, async (q) => {
      const guesser = freshAddress();
      for (let i = 0; i < 6; i++) {
        expect((await fetch(`${q.url}/metrics`, { headers: { authorization: `Bearer wrong-token-${i}-0123456789`, ...from(guesser) } })).status).toBe(401);
      }
      const locked = await fetch(`${q.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}`, ...from(guesser) } });
      expect(locked.status).toBe(429);
      expect(locked.headers.get('retry-after')).not.toBeNull();
      expect(await metricValue(q, 'revos_admin_auth_failures_total', 'method="bearer"')).toBe(6);
    });
  });
});

describe('no cross-site writes', () => {
  it('a session write from another origin, port or host name is refused and the task is unchanged', async () => {
    const cookie = await sessionCookie(p);
    const taskId = await newTask();
    const csrf = await csrfOf(p, cookie);
    const port = new URL(p.url).port;
    for (const origin of ['https://evil.example', 'http://127.0.0.1:1', `http://localhost:${port}`, 'null']) {
      const res = await claim(p, taskId, { cookie, origin }, { _csrf: csrf });
      expect(res.status, origin).toBe(403);
      expect(((await res.json()) as { error: string }).error).toBe('cross_origin_refused');
    }
    for (const site of ['cross-site', 'same-site']) expect((await claim(p, taskId, { cookie, 'sec-fetch-site': site }, { _csrf: csrf })).status, site).toBe(403);
    const bare = await claim(p, taskId, { cookie }, { _csrf: csrf });
    expect(bare.status).toBe(403);
    expect(((await bare.json()) as { error: string }).error).toBe('origin_required');
    expect(await taskStatus(taskId)).toBe('open');
  });

  it('a same-origin session write needs the session\'s CSRF token; with it the write goes through', async () => {
    const cookie = await sessionCookie(p);
    const other = await sessionCookie(p);
    const taskId = await newTask();
    const origin = new URL(p.url).origin;
    const missing = await claim(p, taskId, { cookie, origin });
    expect(missing.status).toBe(403);
    expect(((await missing.json()) as { error: string }).error).toBe('csrf_token_invalid');
    expect((await claim(p, taskId, { cookie, origin }, { _csrf: await csrfOf(p, other) })).status).toBe(403); // another session's token
    expect(await taskStatus(taskId)).toBe('open');
    const ok = await claim(p, taskId, { cookie, 'sec-fetch-site': 'same-origin' }, { _csrf: await csrfOf(p, cookie) });
    expect(ok.status).toBe(303);
    expect(await taskStatus(taskId)).toBe('claimed');
  });

  it('basic auth: refused from another origin; a script (no Origin, no Sec-Fetch-Site) may write', async () => {
    const taskId = await newTask();
    const authorization = basic('admin', PASSWORD);
    expect((await claim(p, taskId, { authorization, origin: 'https://evil.example' })).status).toBe(403);
    expect((await claim(p, taskId, { authorization, 'sec-fetch-site': 'cross-site' })).status).toBe(403);
    expect(await taskStatus(taskId)).toBe('open');
    expect((await claim(p, taskId, { authorization })).status).toBe(303);
    expect(await taskStatus(taskId)).toBe('claimed');
  });

  it('a login form posted from another origin is refused', async () => {
    const res = await formLogin(p, 'admin', PASSWORD, { origin: 'https://evil.example' });
    expect(res.status).toBe(403);
    expect(res.headers.getSetCookie()).toEqual([]);
  });

  it('the session cookie is HttpOnly, SameSite=Strict, and Secure when PUBLIC_BASE_URL is https', async () => {
    const plain = (await formLogin(p, 'admin', PASSWORD)).headers.getSetCookie().join(';');
    expect(plain).toMatch(/HttpOnly/);
    expect(plain).toMatch(/SameSite=Strict/);
    expect(plain).not.toMatch(/Secure/);
    await withProducer({ PUBLIC_BASE_URL: 'https://ops.example.com' }, async (q) => {
      const secure = (await formLogin(q, 'admin', PASSWORD)).headers.getSetCookie().join(';');
      expect(secure).toMatch(/Secure/);
      expect(secure).toMatch(/SameSite=Strict/);
      // Behind the proxy the browser's Origin is the public one, whatever Host the producer sees.
      const cookie = (await formLogin(q, 'admin', PASSWORD)).headers.getSetCookie()[0]!.split(';')[0]!;
      const taskId = await newTask();
      const csrf = await csrfOf(q, cookie);
      expect((await claim(q, taskId, { cookie, origin: new URL(q.url).origin }, { _csrf: csrf })).status).toBe(403);
      expect((await claim(q, taskId, { cookie, origin: 'https://ops.example.com' }, { _csrf: csrf })).status).toBe(303);
    });
  });
});

describe('Bull Board cannot add jobs', () => {
  it('with ADMIN_READ_ONLY=false, a same-origin session cannot add a job or rewrite job data; other board writes still work, never cross-origin', async () => {
    await withProducer({ ADMIN_READ_ONLY: 'false' }, async (q) => {
      const cookie = await sessionCookie(q);
      const origin = new URL(q.url).origin;
      const json = { cookie, origin, 'content-type': 'application/json' };
      const add = await fetch(`${q.url}/admin/queues/api/queues/revos-interactive/add`, {
        method: 'POST',
        headers: json,
        body: JSON.stringify({ name: 'WF60_Collect_Payment', data: { payload: { amount_cents: 499_900 } }, options: {} }),
      });
      expect(add.status).toBe(403);
      expect(await add.json()).toMatchObject({ error: 'board_job_write_refused' });
      const counts = await h.queues.interactive.getJobCounts();
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(0);
      const update = await fetch(`${q.url}/admin/queues/api/queues/revos-interactive/some-job/update-data`, { method: 'PATCH', headers: json, body: JSON.stringify({ data: {} }) });
      expect(update.status).toBe(403);

      // The board's other writes: refused from another origin, allowed from the board itself.
      const pause = (headers: Record<string, string>) => fetch(`${q.url}/admin/queues/api/queues/revos-batch/pause`, { method: 'PUT', headers });
      expect((await pause({ cookie, origin: 'http://127.0.0.1:1' })).status).toBe(403);
      expect(await h.queues.batch.isPaused()).toBe(false);
      expect((await pause({ cookie, origin })).status).toBeLessThan(300);
      expect(await h.queues.batch.isPaused()).toBe(true);
      await h.queues.batch.resume();
    });
  });
});

describe('sessions end server-side', () => {
  it('logout ends the session at once: a copy of the cookie stops working on every replica', async () => {
    await withProducer({ ADMIN_SESSION_SECRET: SESSION_SECRET }, async (replica) => {
      const cookie = await sessionCookie(p);
      const csrf = await csrfOf(p, cookie);
      for (const q of [p, replica]) expect((await fetch(`${q.url}/admin/api/tasks`, { headers: { cookie } })).status).toBe(200);
      // Logout from another origin is refused like any write.
      expect((await fetch(`${p.url}/admin/logout`, { method: 'POST', redirect: 'manual', headers: { cookie, origin: 'https://evil.example' } })).status).toBe(403);
      expect((await fetch(`${p.url}/admin/api/tasks`, { headers: { cookie } })).status).toBe(200);
      const logout = await fetch(`${p.url}/admin/logout`, {
        method: 'POST',
        redirect: 'manual',
        headers: { cookie, origin: new URL(p.url).origin, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: csrf }).toString(),
      });
      expect(logout.status).toBe(303);
      for (const q of [p, replica]) expect((await fetch(`${q.url}/admin/api/tasks`, { headers: { cookie } })).status).toBe(401);
    });
  });

  it('a changed ADMIN_PASSWORD ends every session, even with ADMIN_SESSION_SECRET set', async () => {
    const cookie = await sessionCookie(p);
    await withProducer({ ADMIN_SESSION_SECRET: SESSION_SECRET, ADMIN_PASSWORD: 'a new password, changed' }, async (changed) => {
      expect((await fetch(`${changed.url}/admin/api/tasks`, { headers: { cookie } })).status).toBe(401);
    });
    // The same secret and password still honour it: it is the password that ended it.
    await withProducer({ ADMIN_SESSION_SECRET: SESSION_SECRET }, async (same) => {
      expect((await fetch(`${same.url}/admin/api/tasks`, { headers: { cookie } })).status).toBe(200);
    });
  });
});
