import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPDATE_SCREENSHOTS } from '../support/env.js';
import { allowSms, startHarness, TENANT, type Harness } from '../support/harness.js';
import { REPO_ROOT } from '../support/processes.js';
import type { TestProducer } from '../producer/helpers.js';
import { newMessageSid, startPatientsProducer, textIn, textOut } from './helpers.js';

/** The operator's task page in Debian's Chromium: behind the admin login, claim, resolve with a note, reopen. */
const PASSWORD = 'correct horse battery';
const IMG = UPDATE_SCREENSHOTS ? join(REPO_ROOT, 'docs', 'img') : join(tmpdir(), 'revos-screenshots');
let h: Harness;
let p: TestProducer;
let browser: Browser;

beforeAll(async () => {
  h = await startHarness();
  p = await startPatientsProducer(h, { ADMIN_PASSWORD: PASSWORD, ADMIN_USER: 'frontdesk' });
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  mkdirSync(IMG, { recursive: true });
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
  await h?.close();
});

async function rescheduleTask(patientId: string, number: string, appointmentId: string): Promise<string> {
  await allowSms(h.db, patientId);
  await textOut(h, { to: number, patientId, template: 'appointment_reminder', appointmentId });
  const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: number, body: 'can we reschedule' });
  return run.output?.result.primary_outputs['task_id'] as string;
}

const row = (page: Page, table: 'active-tasks' | 'closed-tasks', taskId: string) => page.locator(`#${table} tr[data-task="${taskId}"]`);

describe('the task page', () => {
  it('is refused without the admin login', async () => {
    expect((await fetch(`${p.url}/admin/tasks`, { redirect: 'manual' })).status).toBe(401);
    const post = await fetch(`${p.url}/admin/tasks/${TENANT}/task_x/claim`, { method: 'POST', redirect: 'manual' });
    expect(post.status).toBe(401);
  });

  it('lists open tasks by tenant and age; claim, resolve with a note and reopen work from the browser', async () => {
    const first = await rescheduleTask('p_kay', '+15553330001', 'apt_700');
    const second = await rescheduleTask('p_lea', '+15553330002', 'apt_701');

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    await page.goto(`${p.url}/admin/tasks`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    await page.fill('input[name=user]', 'frontdesk');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\//);
    await page.goto(`${p.url}/admin/tasks?tenant=${TENANT}`);

    expect(await page.locator('#active-tasks tbody tr').count()).toBe(2);
    const firstRow = row(page, 'active-tasks', first);
    expect(await firstRow.textContent()).toContain('reschedule_request');
    expect(await firstRow.textContent()).toContain('appointment apt_700');
    expect(await firstRow.locator('td.num').textContent()).toMatch(/^\d+ s$/);

    await firstRow.locator('button[data-action=claim]').click();
    await page.waitForURL(/notice=/);
    expect(await page.locator('.notice[role=status]').textContent()).toBe(`${first}: claimed`);
    expect(await row(page, 'active-tasks', first).textContent()).toContain('admin:frontdesk');
    await page.screenshot({ path: join(IMG, 'tasks.png') });

    // A second claim by someone else is refused on the page too (the API's rule).
    const [claimedBy] = await h.db.sql<{ claimed_by: string }[]>`select claimed_by from tasks where task_id = ${first}`;
    expect(claimedBy?.claimed_by).toBe('admin:frontdesk');

    const resolving = row(page, 'active-tasks', first);
    await resolving.locator('select[name=resolution]').selectOption('resolved');
    await resolving.locator('input[name=note]').fill('moved to Monday 9:30');
    await resolving.locator('button[data-action=resolve]').click();
    await page.waitForURL(/notice=/);
    expect(await page.locator('.notice[role=status]').textContent()).toBe(`${first}: done (resolved)`);
    expect(await row(page, 'active-tasks', first).count()).toBe(0);
    const closed = row(page, 'closed-tasks', first);
    expect(await closed.textContent()).toContain('moved to Monday 9:30');
    expect(await closed.textContent()).toContain('admin:frontdesk');
    // The filter survives the round trip.
    expect(new URL(page.url()).searchParams.get('tenant')).toBe(TENANT);

    // Only plain resolutions are offered for a task that is not about an unknown vendor outcome.
    const options = await row(page, 'active-tasks', second).locator('select[name=resolution] option').allTextContents();
    expect(options).toEqual(['resolved', 'dismissed']);

    await closed.locator('button[data-action=reopen]').click();
    await page.waitForURL(/notice=/);
    expect(await row(page, 'active-tasks', first).count()).toBe(1);

    const [events] = await h.db.sql<{ types: string[] }[]>`
      select array_agg(event_type order by occurred_at, event_id) as types from events where payload->>'task_id' = ${first}`;
    expect(events?.types).toEqual(['task.created', 'task.claimed', 'task.resolved', 'task.reopened']);
    await page.close();
  });

  it('shows a refused action as an error naming the rule', async () => {
    const taskId = await rescheduleTask('p_max', '+15553330003', 'apt_702');
    await h.db.sql`update tasks set status = 'claimed', claimed_by = 'api:someone' where task_id = ${taskId}`;
    const page = await browser.newPage();
    await page.goto(`${p.url}/admin/login`);
    await page.fill('input[name=user]', 'frontdesk');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\//);
    // Post the claim form as the page would (with the session's CSRF token), for a task someone else holds.
    await page.goto(`${p.url}/admin/tasks`);
    const csrf = (await page.locator('input[name=_csrf]').first().getAttribute('value')) ?? '';
    const response = await page.evaluate(async ({ url, csrf }) => {
      const res = await fetch(url, { method: 'POST', body: new URLSearchParams({ filter: '', _csrf: csrf }), redirect: 'follow' });
      return { url: res.url, text: await res.text() };
    }, { url: `${p.url}/admin/tasks/${TENANT}/${taskId}/claim`, csrf });
    expect(decodeURIComponent(new URL(response.url).searchParams.get('error') ?? '')).toBe(`${taskId}: task_claimed – the task is claimed by api:someone`);
    expect(response.text).toContain('task_claimed');
    await page.close();
  });
});
