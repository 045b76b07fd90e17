import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startHarness, TENANT, type Harness } from '../support/harness.js';
import { spawnTs, type Spawned } from '../support/processes.js';

let h: Harness;
const producers: Spawned[] = [];
beforeAll(async () => {
  h = await startHarness({ lanes: ['batch'] });
});
afterAll(async () => {
  for (const p of producers) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await h?.close();
});

describe('cron across producer processes', () => {
  it('two producer processes with the same schedule run each slot once', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'revos-cron-'));
    const file = join(dir, 'schedules.json');
    writeFileSync(
      file,
      JSON.stringify([
        { id: 'every-second', tenant_id: TENANT, workflow: 'WF11_Log_Event', pattern: '* * * * * *', payload: { event_type: 'cron.tick', direction: 'internal', attributes: {} } },
      ]),
    );
    for (let i = 0; i < 2; i++) {
      producers.push(
        await spawnTs(
          'apps/producer/src/main.ts',
          { DATABASE_URL: h.database.url, MIGRATE_ON_START: 'false', QUEUE_PREFIX: h.prefix, PORT: '0', LOG_LEVEL: 'info', CRON_SCHEDULES: file },
          /producer listening/,
        ),
      );
    }
    await sleep(4_000);
    for (const p of producers) p.child.kill('SIGTERM');
    await Promise.all(producers.map((p) => p.exited));
    for (let i = 0; i < 100; i++) {
      const open = await h.db.sql`select 1 from workflow_runs where status <> 'ok'`;
      if (open.length === 0) break;
      await sleep(50);
    }
    const runs = await h.db.sql<{ trigger_id: string; status: string }[]>`select trigger_id, status from workflow_runs`;
    const slots = runs.map((r) => r.trigger_id);
    console.log(`cron across processes: ${runs.length} slots fired, ${new Set(slots).size} distinct`);
    expect(runs.length).toBeGreaterThanOrEqual(2);
    expect(new Set(slots).size).toBe(slots.length);
    expect(runs.every((r) => r.status === 'ok')).toBe(true);
    const perKey = await h.db.sql<{ n: number }[]>`select count(*)::int as n from events where event_type = 'cron.tick' group by idempotency_key`;
    expect(perKey).toHaveLength(runs.length);
    expect(perKey.every((r) => r.n === 1)).toBe(true);
  }, 60_000);
});
