/**
 * Cross-site writes in a real browser (Debian's Chromium): a page served from another origin (another
 * port of 127.0.0.1, which is the SAME site, so a SameSite=Strict cookie still goes along; and
 * `localhost`, another host name) tries every admin write with a logged-in session and with basic
 * auth answered. Each must be refused and change nothing; the admin pages' own forms keep working.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { openStaffTask } from '@revos/db';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';

const PASSWORD = 'correct horse battery';
let h: Harness;
let p: TestProducer;
let browser: Browser;
let attacker: Server;
let attackerPort: number;
/** The attacker's pages, by path. */
const pages = new Map<string, string>();

beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  p = await startTestProducer(h, { ADMIN_PASSWORD: PASSWORD, ADMIN_READ_ONLY: 'false' });
  attacker = createServer((req, res) => {
    const html = pages.get(new URL(req.url ?? '/', 'http://x').pathname);
    res.writeHead(html ? 200 : 404, { 'content-type': 'text/html' }).end(html ?? 'not found');
  });
  await new Promise<void>((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerPort = (attacker.address() as AddressInfo).port;
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await new Promise<void>((resolve) => (attacker ? attacker.close(() => resolve()) : resolve()));
  await p?.close();
  await h?.close();
});

async function newTask(status: 'open' | 'claimed' = 'open'): Promise<string> {
  const id = ulid();
  const { taskId } = await openStaffTask(h.db.sql, {
    tenantId: TENANT,
    workflowRunId: `run_${id}`,
    rootRunId: `run_${id}`,
    idempotencyKey: `idem:${TENANT}:WF21_Escalate_To_Staff:${id}:x`,
    kind: 'escalation',
    reason: 'cross-site test',
    subject: {},
    omitEventPayload: true,
  });
  if (status === 'claimed') await h.db.sql`update tasks set status = 'claimed', claimed_by = 'admin:admin' where task_id = ${taskId}`;
  return taskId;
}

const taskStatus = async (taskId: string) => (await h.db.sql<{ status: string }[]>`select status from tasks where task_id = ${taskId}`)[0]!.status;

async function loggedIn(): Promise<BrowserContext> {
  const context = await browser.newContext();
  const page = await context.newPage();
  await page.goto(`${p.url}/admin/login`);
  await page.fill('input[name=user]', 'admin');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/admin\/queues/);
  await page.close();
  return context;
}

/** A browser that has answered the basic-auth challenge: it answers every later one, from any page. */
const withBasicAuth = () => browser.newContext({ httpCredentials: { username: 'admin', password: PASSWORD } });

/** Serves an auto-submitting form on the attacker's origin, opens it, and returns the status of the admin's answer. */
async function postFormFrom(context: BrowserContext, attackerHost: string, target: string, fields: Record<string, string> = {}): Promise<number> {
  const path = `/form-${ulid()}`;
  const inputs = Object.entries(fields).map(([k, v]) => `<input type="hidden" name="${k}" value="${v}">`).join('');
  pages.set(path, `<!doctype html><form id="f" method="post" action="${p.url}${target}">${inputs}</form><script>document.getElementById('f').submit()</script>`);
  const page = await context.newPage();
  const statuses: number[] = [];
  let failed = false;
  const isTarget = (url: string, method: string) => url.startsWith(`${p.url}${target}`) && method === 'POST';
  page.on('response', (r) => {
    if (isTarget(r.url(), r.request().method())) statuses.push(r.status());
  });
  // A 401 no credential answers ends the navigation in an error page (ERR_INVALID_AUTH_CREDENTIALS).
  page.on('requestfailed', (r) => {
    if (isTarget(r.url(), r.method())) failed = true;
  });
  await page.goto(`http://${attackerHost}:${attackerPort}${path}`);
  for (let i = 0; i < 200 && !failed && !statuses.some((s) => s !== 401); i++) await page.waitForTimeout(50);
  await page.close();
  // The final answer (a basic-auth challenge the browser answered shows a 401 first, then the real one).
  return statuses.at(-1) ?? 0;
}

/** Board writes a script on the attacker's page can try: a no-cors add-job POST and a credentialed PUT. */
async function boardWritesFrom(context: BrowserContext, attackerHost: string): Promise<void> {
  const path = `/board-${ulid()}`;
  pages.set(
    path,
    `<!doctype html><script>
window.done = (async () => {
  const base = ${JSON.stringify(`${p.url}/admin/queues/api/queues`)};
  await fetch(base + '/revos-interactive/add', { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' },
    body: JSON.stringify({ name: 'WF60_Collect_Payment', data: { amount_cents: 499900 }, options: {} }) }).catch(() => null);
  await fetch(base + '/revos-batch/pause', { method: 'PUT', credentials: 'include' }).catch(() => null);
  return true;
})();
</script>`,
  );
  const page = await context.newPage();
  await page.goto(`http://${attackerHost}:${attackerPort}${path}`);
  await page.waitForFunction('window.done !== undefined');
  await page.evaluate('window.done');
  await page.close();
}

async function sessionStillWorks(context: BrowserContext): Promise<boolean> {
  const res = await context.request.get(`${p.url}/admin/api/tasks`, { maxRedirects: 0 });
  return res.status() === 200;
}

const jobsInLanes = async () => {
  const counts = await Promise.all([h.queues.realtime, h.queues.interactive, h.queues.batch].map((q) => q.getJobCounts()));
  return counts.flatMap((c) => Object.values(c)).reduce((a, b) => a + b, 0);
};

describe('admin writes from another origin, in Chromium', () => {
  for (const host of ['127.0.0.1', 'localhost'] as const) {
    for (const credential of ['session', 'basic auth'] as const) {
      it(`a page on http://${host}:<other port> cannot claim, resolve, reopen, log out or write to the board (${credential})`, async () => {
        const context = credential === 'session' ? await loggedIn() : await withBasicAuth();
        try {
          const open = await newTask();
          const claimed = await newTask('claimed');
          const statuses = [
            await postFormFrom(context, host, `/admin/tasks/${TENANT}/${open}/claim`, { filter: '' }),
            await postFormFrom(context, host, `/admin/tasks/${TENANT}/${open}/resolve`, { filter: '', resolution: 'dismissed', note: 'forged' }),
            await postFormFrom(context, host, `/admin/tasks/${TENANT}/${claimed}/reopen`, { filter: '' }),
            await postFormFrom(context, host, '/admin/logout'),
          ];
          // Same site (another port): the cookie or the credentials went along and the origin check refused.
          if (host === '127.0.0.1' || credential === 'basic auth') expect(statuses).toEqual([403, 403, 403, 403]);
          else for (const status of statuses) expect([401, 403]).toContain(status); // cross-site: SameSite=Strict kept the cookie home
          expect(await taskStatus(open)).toBe('open');
          expect(await taskStatus(claimed)).toBe('claimed');
          if (credential === 'session') expect(await sessionStillWorks(context)).toBe(true);

          await boardWritesFrom(context, host);
          expect(await jobsInLanes()).toBe(0);
          expect(await h.queues.batch.isPaused()).toBe(false);
        } finally {
          await context.close();
        }
      });
    }
  }
});

describe('the admin pages themselves still write', () => {
  it('with a session: claim from the task page, a board write from the board, and logout ends the session', async () => {
    const context = await loggedIn();
    const taskId = await newTask();
    const page = await context.newPage();
    await page.goto(`${p.url}/admin/tasks`);
    await page.locator(`#active-tasks tr[data-task="${taskId}"] button[data-action=claim]`).click();
    await page.waitForURL(/notice=/);
    expect(await taskStatus(taskId)).toBe('claimed');

    await page.goto(`${p.url}/admin/queues`);
    const paused = await page.evaluate(async (url) => (await fetch(url, { method: 'PUT' })).status, `${p.url}/admin/queues/api/queues/revos-batch/pause`);
    expect(paused).toBeLessThan(300);
    expect(await h.queues.batch.isPaused()).toBe(true);
    await h.queues.batch.resume();
    // Add job from the board's own page: refused even so.
    const added = await page.evaluate(
      async (url) => (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'WF60_Collect_Payment', data: {}, options: {} }) })).status,
      `${p.url}/admin/queues/api/queues/revos-interactive/add`,
    );
    expect(added).toBe(403);
    expect(await jobsInLanes()).toBe(0);

    const captured = await context.cookies(p.url);
    await page.goto(`${p.url}/admin/tasks`);
    await page.click('header a[href="/admin/logout"]');
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\/login/);
    // The cookie as it was before logout, replayed from another browser: refused.
    const replay = await browser.newContext();
    await replay.addCookies(captured);
    expect(await sessionStillWorks(replay)).toBe(false);
    await replay.close();
    await context.close();
  });

  it('with basic auth answered: claim from the task page', async () => {
    // Sent with every request, as a browser does once it knows the realm (a page request without it is sent to the login form).
    const context = await browser.newContext({ extraHTTPHeaders: { authorization: `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}` } });
    const taskId = await newTask();
    const page = await context.newPage();
    await page.goto(`${p.url}/admin/tasks`);
    await page.locator(`#active-tasks tr[data-task="${taskId}"] button[data-action=claim]`).click();
    await page.waitForURL(/notice=/);
    expect(await taskStatus(taskId)).toBe('claimed');
    await context.close();
  });
});
