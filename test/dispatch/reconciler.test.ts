import { reconcileOnce, submitRun } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
});
afterAll(async () => {
  await h?.close();
});

async function flushPrefix(h: Harness): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await h.redis.scan(cursor, 'MATCH', `${h.prefix}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) deleted += await h.redis.del(...keys);
  } while (cursor !== '0');
  return deleted;
}

describe('reconciler', () => {
  it('re-enqueues every accepted run after Redis lost them, and each runs once', async () => {
    const runs = [];
    for (let i = 0; i < 100; i++) {
      const envelope = h.envelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'staff.note_added', direction: 'internal', attributes: { n: i } } });
      runs.push(await submitRun(h, envelope, { source: 'api' }));
    }
    expect(runs.every((r) => r.status === 'queued')).toBe(true);
    expect(await h.queues.batch.count()).toBe(100);

    // Redis restarted without persistence (or was flushed) before any worker ran them.
    expect(await flushPrefix(h)).toBeGreaterThan(0);
    expect(await h.queues.batch.count()).toBe(0);

    const result = await reconcileOnce({ ...h, log: h.deps.log }, { graceMs: 0 });
    expect(result).toMatchObject({ checked: 100, reenqueued: 100 });
    // A second pass finds every job in place and adds nothing.
    expect(await reconcileOnce({ ...h, log: h.deps.log }, { graceMs: 0 })).toMatchObject({ checked: 100, reenqueued: 0 });

    await h.startWorkers();
    for (let i = 0; i < 400; i++) {
      const [row] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from workflow_runs where status = 'ok'`;
      if (row?.n === 100) break;
      await sleep(50);
    }
    const statuses = await h.db.sql<{ status: string; n: number }[]>`select status, count(*)::int as n from workflow_runs group by status`;
    expect(statuses).toEqual([{ status: 'ok', n: 100 }]);
    const perKey = await h.db.sql<{ n: number }[]>`
      select count(*)::int as n from events where event_type = 'staff.note_added' group by idempotency_key`;
    expect(perKey).toHaveLength(100);
    expect(perKey.every((r) => r.n === 1)).toBe(true);

    // Settled runs drop out of the reconciler's view.
    expect(await reconcileOnce({ ...h, log: h.deps.log }, { graceMs: 0 })).toMatchObject({ checked: 0 });
  }, 60_000);

  it('leaves runs younger than the grace period alone (their enqueue may be in flight)', async () => {
    const envelope = h.envelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'staff.note_added', direction: 'internal', attributes: {} } });
    await submitRun(h, envelope, { source: 'api' });
    expect(await reconcileOnce({ ...h, log: h.deps.log }, { graceMs: 60_000 })).toMatchObject({ checked: 0, reenqueued: 0 });
  });
});
