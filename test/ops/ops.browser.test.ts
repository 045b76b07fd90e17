import { tmpdir } from 'node:os';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UPDATE_SCREENSHOTS } from '../support/env.js';
import { sleep, startHarness, type Harness } from '../support/harness.js';
import { REPO_ROOT } from '../support/processes.js';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';
import { alwaysFails, chainRoot, opsWorkflows } from './helpers.js';

const PASSWORD = 'correct horse battery';
// The README's screenshots are refreshed with `SCREENSHOTS=update npx vitest run test/ops/ops.browser.test.ts`;
// an ordinary run writes them to a temporary folder so `npm test` leaves the work tree clean.
const IMG = UPDATE_SCREENSHOTS ? join(REPO_ROOT, 'docs', 'img') : join(tmpdir(), 'revos-screenshots');
let h: Harness;
let p: TestProducer;
let browser: Browser;

beforeAll(async () => {
  h = await startHarness({ extraWorkflows: opsWorkflows, immediateDispatch: true });
  p = await startTestProducer(h, { ADMIN_PASSWORD: PASSWORD }, opsWorkflows);
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

async function settledTree(root: string, expected: number): Promise<{ workflow_run_id: string; workflow_name: string; parent_run_id: string | null }[]> {
  for (let i = 0; i < 400; i++) {
    const rows = await h.db.sql<{ workflow_run_id: string; workflow_name: string; parent_run_id: string | null; status: string }[]>`
      select workflow_run_id, workflow_name, parent_run_id, status from workflow_runs where root_run_id = ${root} order by accepted_at`;
    if (rows.length === expected && rows.every((r) => r.status === 'ok')) return rows;
    await sleep(25);
  }
  throw new Error(`lineage ${root} did not complete`);
}

describe('operator UI in a real browser', () => {
  it('admin answers 503 when disabled, and never serves anonymous visitors', async () => {
    const disabled = await startTestProducer(h, {});
    try {
      for (const path of ['/admin/queues', '/admin/explorer', '/admin/api/tasks', '/admin/login', '/metrics']) {
        const res = await fetch(`${disabled.url}${path}`);
        expect(res.status, path).toBe(503);
        expect(await res.text()).toContain('admin disabled');
      }
    } finally {
      await disabled.close();
    }
    for (const path of ['/admin/queues/api/queues', '/admin/api/runs/failed', '/admin/explorer/runs/x', '/admin/queues/']) {
      expect((await fetch(`${p.url}${path}`, { redirect: 'manual' })).status, path).toBe(401);
    }
  });

  it('the board refuses an anonymous visit, accepts a login, lists every lane and shows a failed job', async () => {
    const failing = h.envelope({ workflow: alwaysFails.name, payload: { note: 'for the board' } });
    await h.enqueue(failing);
    await h.waitForRun(failing.meta.workflow_run_id);

    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const anonymous = await page.goto(`${p.url}/admin/queues`);
    expect(new URL(page.url()).pathname).toBe('/admin/login');
    expect(anonymous?.status()).toBe(200);
    expect(await page.locator('form.login').count()).toBe(1);

    await page.fill('input[name=user]', 'admin');
    await page.fill('input[name=password]', 'wrong password');
    await page.click('button[type=submit]');
    expect(await page.locator('.error').textContent()).toContain('Wrong user or password');

    await page.fill('input[name=user]', 'admin');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\/queues/);
    for (const queue of ['revos-realtime', 'revos-interactive', 'revos-batch', 'revos-cron']) {
      await page.getByText(queue, { exact: true }).first().waitFor({ timeout: 10_000 });
    }
    await page.goto(`${p.url}/admin/queues/queue/revos-interactive?status=failed`);
    await page.getByText(alwaysFails.name).first().waitFor({ timeout: 10_000 });
    await page.getByText('the test workflow always fails').first().waitFor({ timeout: 10_000 });
    // Taken once the failed job is on screen (the board's first paint is a loading spinner).
    await page.screenshot({ path: join(IMG, 'board.png') });
    await page.close();
  });

  it('the run explorer shows a three-level lineage tree and a run\'s detail, without PHI for phi_minimized runs', async () => {
    const root = h.envelope({ workflow: chainRoot.name, payload: { label: 'explorer' } });
    await h.enqueue(root);
    const rows = await settledTree(root.meta.root_run_id, 5);
    const leaf = rows.find((r) => r.workflow_name === 'WF92_Ops_Chain_Leaf')!;

    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    await page.goto(`${p.url}/admin/login`);
    await page.fill('input[name=user]', 'admin');
    await page.fill('input[name=password]', PASSWORD);
    await page.click('button[type=submit]');
    await page.waitForURL(/\/admin\/queues/);

    // Find the leaf from its idempotency key, through the search box.
    const [leafRow] = await h.db.sql<{ idempotency_key: string }[]>`select idempotency_key from workflow_runs where workflow_run_id = ${leaf.workflow_run_id}`;
    await page.goto(`${p.url}/admin/explorer`);
    await page.fill('input[name=id]', leafRow!.idempotency_key);
    await page.press('input[name=id]', 'Enter');
    await page.waitForURL(/\/admin\/explorer\/runs\//);
    const treeRows = page.locator('#lineage table.tree tbody tr');
    expect(await treeRows.count()).toBe(5);
    const names = await page.locator('#lineage td.wf').allTextContents();
    expect(names.map((n) => n.replace(/\s+/g, ' ').trim())).toEqual([
      'WF90_Ops_Chain_Root @1.0.0',
      '└─ WF91_Ops_Chain_Middle @1.0.0',
      '└─ WF92_Ops_Chain_Leaf @1.0.0',
      '└─ WF91_Ops_Chain_Middle @1.0.0',
      '└─ WF92_Ops_Chain_Leaf @1.0.0',
    ]);
    // depth shown by indentation: root 0, middles 1, leaves 2
    const indents = await page.locator('#lineage td.wf').evaluateAll((tds) => tds.map((td) => (td.querySelector('.indent')?.textContent ?? '').length));
    expect(indents[0]).toBe(0);
    expect(indents[2]).toBeGreaterThan(indents[1]!);
    expect(await page.locator('#lineage tr.current a').textContent()).toBe(leaf.workflow_run_id);
    await page.locator('#lineage').screenshot({ path: join(IMG, 'explorer-tree.png') });

    // The root's detail, through its link in the tree.
    await page.click(`#lineage a:text("${root.meta.workflow_run_id}")`);
    await page.waitForURL(new RegExp(root.meta.workflow_run_id));
    expect(await page.locator('#output').textContent()).toContain('WF91_Ops_Chain_Middle');
    expect(await page.locator('#detail').textContent()).toContain(root.meta.idempotency_key);
    await page.screenshot({ path: join(IMG, 'explorer-run.png'), fullPage: true });

    // A phi_minimized run: ids and hashes only.
    const phi = h.envelope({ workflow: chainRoot.name, payload: { label: 'Jane Roe +15557654321' }, subject: { patient_id: 'p_secret_77' }, privacyMode: 'phi_minimized' });
    await h.enqueue(phi);
    await settledTree(phi.meta.root_run_id, 5);
    await page.goto(`${p.url}/admin/explorer/runs/${phi.meta.workflow_run_id}`);
    const html = await page.content();
    expect(html).toContain('phi_minimized run');
    expect(html).toContain(phi.meta.workflow_run_id);
    for (const secret of ['Jane Roe', '+15557654321', 'p_secret_77']) expect(html).not.toContain(secret);
    await context.close();
  });
});
