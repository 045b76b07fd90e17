/**
 * Bull Board with the fleet's own job ids, in a real browser (Debian's Chromium). Runs are submitted
 * through the API and left in Redis (no worker takes them), and each job is opened by clicking it in
 * the board's own list. A job id is the idempotency key with `%` and `:` escaped (idem%3A…); the
 * board's UI decodes a job page's path once too often, and every job page used to say "Job Not
 * found" (board-job-ids.ts). The trigger id here carries what a trigger id may: `/`, `?`, `#`, a
 * space, `%41` and a non-ASCII letter.
 */
import { createApiKey, upsertTenant } from '@revos/db';
import { keyForEnvelope, toJobId } from '@revos/envelope';
import { defineWorkflow, enqueueRun } from '@revos/runtime';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { sleep, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';

const PASSWORD = 'correct horse battery';
const PHI_TENANT = 't_board_private';
/** The realtime lane is the only one with a worker (started in the last test): it fails this job. */
const boardFails = defineWorkflow({
  name: 'WF95_Board_Always_Fails',
  version: '1.0.0',
  lane: 'realtime',
  payload: z.object({ note: z.string() }),
  attempts: 1,
  async run() {
    throw new Error('the board test workflow always fails');
  },
});
let h: Harness;
let p: TestProducer;
let browser: Browser;
let key: string;
let phiKey: string;

beforeAll(async () => {
  h = await startHarness({ noWorkers: true, lanes: ['realtime'], extraWorkflows: [boardFails] });
  await upsertTenant(h.db.sql, { tenantId: PHI_TENANT, name: 'Private Practice', config: { ...TENANT_CONFIG, privacy_mode: 'phi_minimized' } });
  key = await createApiKey(h.db.sql, TENANT);
  phiKey = await createApiKey(h.db.sql, PHI_TENANT);
  p = await startTestProducer(h, { ADMIN_PASSWORD: PASSWORD, ADMIN_READ_ONLY: 'false' }, [boardFails]);
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});
afterAll(async () => {
  await browser?.close();
  await p?.close();
  await h?.close();
});

interface Submitted {
  job_id: string;
  idempotency_key: string;
  workflow_run_id: string;
}

async function submit(apiKey: string, meta: Record<string, unknown>, payload: Record<string, unknown>, subject: Record<string, unknown> = {}): Promise<Submitted> {
  const res = await fetch(`${p.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ meta: { trigger_source: 'ui', environment: 'staging', privacy_mode: 'standard', ...meta }, subject, payload }),
  });
  const json = (await res.json()) as Submitted;
  expect(res.status, JSON.stringify(json)).toBe(202);
  return json;
}

/** A WF11 run with a trigger id that carries every character the job id codec and the board's decoding could trip on. */
async function awkwardLogEvent(): Promise<Submitted & { tag: string }> {
  const tag = ulid();
  return { ...(await submit(key, { workflow_name: 'WF11_Log_Event', trigger_id: `ui:café/b?c#d e%41:${tag}` }, { event_type: 'note.added', direction: 'internal' })), tag };
}

async function loggedIn(): Promise<Page> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  await page.goto(`${p.url}/admin/login`);
  await page.fill('input[name=user]', 'admin');
  await page.fill('input[name=password]', PASSWORD);
  await page.click('button[type=submit]');
  await page.waitForURL(/\/admin\/queues/);
  return page;
}

/** Every answer the board's client got about one job (its page's API, logs, flow). */
function jobApiAnswers(page: Page, queue: string): Response[] {
  const answers: Response[] = [];
  page.on('response', (r) => {
    if (new URL(r.url()).pathname.startsWith(`/admin/queues/api/queues/${queue}/`)) answers.push(r);
  });
  return answers;
}

/** Opens a queue from the board's sidebar, then the job whose link names `marker`, from the board's own list. */
async function openFromList(page: Page, queue: string, marker: string): Promise<void> {
  await page.getByText(queue, { exact: true }).first().click();
  const link = page.locator(`a[href*="${marker}"]`).first();
  await link.waitFor({ timeout: 10_000 });
  await link.click();
}

const bodyText = (page: Page) => page.locator('body').innerText();

const basicAuth = `Basic ${Buffer.from(`admin:${PASSWORD}`).toString('base64')}`;
/** A board API call as the board's client sends it about a job opened from a link: the id once decoded too often (the key). */
async function boardWrite(action: 'retry' | 'promote' | 'clean', queue: string, sent: string, origin = p.url): Promise<number> {
  const res = await fetch(`${p.url}/admin/queues/api/queues/${queue}/${encodeURIComponent(sent)}/${action}`, { method: 'PUT', headers: { authorization: basicAuth, origin } });
  await res.arrayBuffer();
  return res.status;
}

describe('Bull Board shows every job', () => {
  it('a job opened from the board\'s own list shows its id and data; so do its logs and its page reloaded from the address bar', async () => {
    const run = await awkwardLogEvent();
    expect(run.job_id).toBe(toJobId(run.idempotency_key));
    const page = await loggedIn();
    const answers = jobApiAnswers(page, 'revos-batch');
    await openFromList(page, 'revos-batch', run.tag);
    await page.getByText(run.workflow_run_id).first().waitFor({ timeout: 10_000 });
    let text = await bodyText(page);
    expect(text).not.toContain('Job Not found');
    expect(text).toContain(run.job_id); // the id as it is stored, escapes and all
    expect(text).toContain('WF11_Log_Event');

    await page.getByRole('tab', { name: 'Logs' }).click();
    await expect.poll(() => answers.some((r) => r.url().endsWith('/logs'))).toBe(true);
    expect(answers.length).toBeGreaterThan(0);
    for (const r of answers) expect([r.status(), r.url()]).toEqual([200, r.url()]);

    // The address bar now holds the once-decoded path; a reload (or a pasted link) is sent back to the board's own link.
    answers.length = 0;
    await page.reload();
    await page.getByText(run.workflow_run_id).first().waitFor({ timeout: 10_000 });
    text = await bodyText(page);
    expect(text).not.toContain('Job Not found');
    expect(text).toContain(run.job_id);
    for (const r of answers) expect([r.status(), r.url()]).toEqual([200, r.url()]);
    await page.context().close();
  });

  it('an id that names no job still gets the board\'s own "Job Not found", in the page and in its API', async () => {
    const unknownKey = keyForEnvelope({ tenant_id: TENANT, workflow_name: 'WF11_Log_Event', trigger_id: `ui:never:${ulid()}`, payload: {} });
    const page = await loggedIn();
    for (const path of [encodeURIComponent(toJobId(unknownKey)), toJobId(unknownKey), 'no-such-job']) {
      await page.goto(`${p.url}/admin/queues/queue/revos-batch/${path}`);
      await page.getByText('Job Not found').first().waitFor({ timeout: 10_000 });
    }
    await page.context().close();
    for (const sent of [unknownKey, toJobId(unknownKey), 'no-such-job']) {
      const res = await fetch(`${p.url}/admin/queues/api/queues/revos-batch/${encodeURIComponent(sent)}`, { headers: { authorization: basicAuth } });
      expect([res.status, await res.json()]).toEqual([404, { error: { key: 'ERRORS.JOB_NOT_FOUND' } }]);
    }
  });

  it('a phi_minimized tenant\'s job shows tokens only: no phone number or name from its payload, in the list or on its page', async () => {
    const phone = '+15557654321';
    const tag = ulid();
    const run = await submit(
      phiKey,
      { workflow_name: 'WF30_Send_SMS', trigger_id: `ui:board-phi:${tag}`, privacy_mode: 'phi_minimized' },
      { to: phone, body: 'Hi Jane Roe, your test results from Dr. Lee are ready' },
      { patient_id: 'p_board_1' },
    );
    const page = await loggedIn();
    const secrets = [phone, '5557654321', 'Jane Roe', 'Jane', 'test results'];
    await page.getByText('revos-interactive', { exact: true }).first().click();
    await page.locator(`a[href*="${tag}"]`).first().waitFor({ timeout: 10_000 });
    for (const content of [await bodyText(page), await page.content()]) for (const secret of secrets) expect(content).not.toContain(secret);

    await openFromList(page, 'revos-interactive', tag);
    await page.getByText(run.workflow_run_id).first().waitFor({ timeout: 10_000 });
    const text = await bodyText(page);
    expect(text).not.toContain('Job Not found');
    expect(text).toMatch(/tok_phone_[0-9a-f]{24}/);
    for (const content of [text, await page.content()]) for (const secret of secrets) expect(content).not.toContain(secret);
    await page.context().close();
  });

  it('with ADMIN_READ_ONLY=false: the board removes the job it shows, and retries and promotes the job the UI names, same-origin only', async () => {
    // Remove, from the job page's own button.
    const removed = await awkwardLogEvent();
    const page = await loggedIn();
    await openFromList(page, 'revos-batch', removed.tag);
    await page.getByText(removed.workflow_run_id).first().waitFor({ timeout: 10_000 });
    const clean = page.waitForResponse((r) => r.url().endsWith('/clean') && r.request().method() === 'PUT');
    await page.locator('button:has(svg.lucide-trash2)').click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Confirm' }).click();
    expect((await clean).status()).toBe(204);
    expect(await h.queues.batch.getJob(removed.job_id)).toBeUndefined();
    await page.context().close();

    // Promote: a run due later (the dispatcher's run_after) waits as a delayed job.
    const later = h.envelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'note.added', direction: 'internal', attributes: {} }, triggerId: `ui:later:${ulid()}` });
    await h.accept(later, 'batch');
    const { jobId: delayedId } = await enqueueRun(h.queues, h.catalog, later, { runAfter: new Date(Date.now() + 3_600_000) });
    const laterKey = later.meta.idempotency_key;
    expect(await boardWrite('promote', 'revos-batch', laterKey, 'http://localhost:1')).toBe(403);
    expect(await (await h.queues.batch.getJob(delayedId))!.getState()).toBe('delayed');
    expect(await boardWrite('promote', 'revos-batch', laterKey)).toBe(204);
    // Due now: waiting in its lane at its fair-share round (BullMQ's prioritized set).
    expect(await (await h.queues.batch.getJob(delayedId))!.getState()).toBe('prioritized');

    // Retry: a run that failed on the realtime lane's worker; the worker is stopped before the retry so the job stays put.
    const failing = await submit(key, { workflow_name: boardFails.name, trigger_id: `ui:fails:${ulid()}` }, { note: 'for the board' });
    await h.startWorkers();
    await h.waitForRun(failing.workflow_run_id, (r) => r.status === 'failed');
    for (let i = 0; i < 200 && (await (await h.queues.realtime.getJob(failing.job_id))?.getState()) !== 'failed'; i++) await sleep(25);
    await Promise.all(h.workers.map((w) => w.close()));
    expect(await boardWrite('retry', 'revos-realtime', failing.idempotency_key, 'http://localhost:1')).toBe(403);
    expect(await (await h.queues.realtime.getJob(failing.job_id))!.getState()).toBe('failed');
    expect(await boardWrite('retry', 'revos-realtime', failing.idempotency_key)).toBe(204);
    expect(await (await h.queues.realtime.getJob(failing.job_id))!.getState()).toBe('prioritized');

    // The stored id, as the list's own buttons send it, works as well.
    expect(await boardWrite('clean', 'revos-realtime', failing.job_id)).toBe(204);
    expect(await h.queues.realtime.getJob(failing.job_id)).toBeUndefined();
  });
});
