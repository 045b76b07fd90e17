import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';

let h: Harness;
let p: TestProducer;
beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  p = await startTestProducer(h, { ADMIN_PASSWORD: 'correct horse battery' });
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

const login = (password: string) =>
  fetch(`${p.url}/admin/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ user: 'admin', password, next: '/admin/queues' }).toString(),
  });

describe('admin login throttling', () => {
  it('locks a client out after five wrong passwords, even for the right one, with Retry-After', async () => {
    for (let i = 0; i < 5; i++) expect((await login(`guess-${i}`)).status).toBe(401);
    const sixth = await login('guess-5');
    expect(sixth.status).toBe(401); // the sixth failure starts the lockout
    const locked = await login('correct horse battery');
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  });
});
