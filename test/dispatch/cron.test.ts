import { CronSchedules, startCronProducer, type CronProducer } from '@revos/runtime';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, sleep, startHarness, TENANT, type Harness } from '../support/harness.js';

let h: Harness;
const producers: CronProducer[] = [];
const connections: Redis[] = [];
beforeAll(async () => {
  h = await startHarness({ lanes: ['batch'] });
});
afterAll(async () => {
  for (const p of producers) await p.close();
  for (const c of connections) await c.quit();
  await h?.close();
});

const schedules = CronSchedules.parse([
  {
    id: 'nightly-note',
    tenant_id: TENANT,
    workflow: 'WF11_Log_Event',
    pattern: '* * * * * *', // every second, to see several slots in a test
    tz: 'America/New_York',
    payload: { event_type: 'cron.tick', direction: 'internal', attributes: {} },
  },
]);

describe('cron producer', () => {
  it('two producer replicas with the same schedule run each slot once', async () => {
    for (let i = 0; i < 2; i++) {
      // Each replica has its own connection, as separate processes would.
      const connection = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
      connections.push(connection);
      producers.push(await startCronProducer({ ...h, log: h.deps.log, connection, prefix: h.prefix }, schedules));
    }
    await sleep(4_200);
    for (const p of producers.splice(0)) await p.close();
    await sleep(500);

    const runs = await h.db.sql<{ trigger_id: string; status: string; trigger_source: string }[]>`
      select trigger_id, status, trigger_source from workflow_runs order by trigger_id`;
    expect(runs.length).toBeGreaterThanOrEqual(3);
    const slots = runs.map((r) => r.trigger_id);
    expect(new Set(slots).size).toBe(slots.length); // one run per slot
    for (const r of runs) {
      expect(r.trigger_id).toMatch(/^cron:nightly-note:\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
      expect(r.trigger_source).toBe('cron');
    }
    // Every slot's run finishes with exactly one journaled event.
    for (let i = 0; i < 100; i++) {
      const open = await h.db.sql`select 1 from workflow_runs where status <> 'ok'`;
      if (open.length === 0) break;
      await sleep(50);
    }
    const perKey = await h.db.sql<{ n: number }[]>`select count(*)::int as n from events where event_type = 'cron.tick' group by idempotency_key`;
    expect(perKey).toHaveLength(runs.length);
    expect(perKey.every((r) => r.n === 1)).toBe(true);
  });

  it('rejects a schedule with a bad time zone or id, naming the field', () => {
    const result = CronSchedules.safeParse([{ id: 'Bad Id', tenant_id: TENANT, workflow: 'WF11_Log_Event', pattern: '0 0 * * *', tz: 'Mars/Olympus' }]);
    expect(result.success).toBe(false);
    const paths = result.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['0.id', '0.tz']));
  });
});
