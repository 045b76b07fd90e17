import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.drop();
});

const key = `idem:t_acme:WF18_Schedule:sms:SM1:${'a'.repeat(64)}`;

describe('idempotency_keys', () => {
  it('admits exactly one of two concurrent inserts of the same key', async () => {
    // Two separate connections, both inside open transactions, race on the same key.
    const attempt = (runId: string) =>
      t.db.sql.begin(async (tx) => {
        await tx`select pg_sleep(0.05)`;
        return tx`
          insert into idempotency_keys (idempotency_key, tenant_id, workflow_name, payload_hash, workflow_run_id, state)
          values (${key}, 't_acme', 'WF18_Schedule', ${'a'.repeat(64)}, ${runId}, 'in_progress')`;
      });
    const results = await Promise.allSettled([attempt('wr_A'), attempt('wr_B')]);
    const fulfilled = results.filter((r) => r.status === 'fulfilled');
    const rejected = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(fulfilled).toHaveLength(1);
    expect(rejected).toHaveLength(1);
    expect((rejected[0]?.reason as { code?: string }).code).toBe('23505'); // unique_violation
    const rows = await t.db.sql`select workflow_run_id from idempotency_keys where idempotency_key = ${key}`;
    expect(rows).toHaveLength(1);
  });

  it('admits one journal entry and one event per (key, effect)', async () => {
    const insertEvent = (eventId: string) => t.db.sql`
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, event_type, direction, payload_ref, idempotency_key, effect_name)
      values (${eventId}, 'wr_A', 'wr_A', 't_acme', 'sms.sent', 'outbound', 'ref', ${key}, 'send_sms')`;
    await insertEvent('ev_1');
    await expect(insertEvent('ev_2')).rejects.toMatchObject({ code: '23505' });
  });
});
