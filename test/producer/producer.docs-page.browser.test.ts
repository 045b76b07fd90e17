/**
 * The docs page in a real browser (Debian's Chromium): it renders every operation and asks for
 * nothing but itself, so it works on a closed network.
 */
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from './helpers.js';

let h: Harness;
let p: TestProducer;
let browser: Browser;

beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  p = await startTestProducer(h);
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

describe('GET /docs in a browser', () => {
  it('shows every operation of the OpenAPI document and requests nothing but the page itself', async () => {
    const doc = (await (await fetch(`${p.url}/v1/openapi.json`)).json()) as { paths: Record<string, Record<string, { operationId: string }>> };
    const page = await browser.newPage();
    const requested: string[] = [];
    page.on('request', (r) => requested.push(r.url()));
    const answer = await page.goto(`${p.url}/docs`, { waitUntil: 'load' });
    expect(answer?.status()).toBe(200);
    expect(requested).toEqual([`${p.url}/docs`]);
    const operations = Object.values(doc.paths).flatMap((methods) => Object.values(methods).map((op) => op.operationId));
    for (const id of operations) expect(await page.locator(`#op-${id}`).count(), id).toBe(1);
    expect(await page.locator('section.op').count()).toBe(operations.length);
    // A link in the table of contents lands on its operation.
    await page.click('nav a[href="#op-submitRun"]');
    expect(new URL(page.url()).hash).toBe('#op-submitRun');
    await page.screenshot({ path: join(tmpdir(), 'revos-docs-page.png'), fullPage: false });
    await page.close();
  });
});
