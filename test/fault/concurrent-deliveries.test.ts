import { toJobId } from '@revos/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, sleep, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ lanes: ['interactive'], concurrency: 25 });
  await allowSms(h.db, 'p_many');
});
afterAll(async () => {
  await h?.close();
});

describe('50 concurrent deliveries of one key', () => {
  it('send one text; every other delivery ends as a noop naming the run that sent it', async () => {
    h.vendor.script('sms', [{ status: 201, body: { sid: 'SM' + 'b'.repeat(32), status: 'queued' }, delayMs: 300 }]);
    const original = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: '+15551238888', body: 'once' }, subject: { patient_id: 'p_many' } });
    // The run intake accepted, delivered fifty times at once, each delivery under its own job (past BullMQ's
    // dedupe), as redeliveries and re-enqueues hand it over. (Fifty producers submitting the same trigger
    // are answered by intake: one accepted run, forty-nine "duplicate" answers and no job.)
    await h.accept(original, 'interactive');
    await h.queues.interactive.addBulk(
      Array.from({ length: 50 }, (_, i) => ({ name: 'WF30_Send_SMS', data: original, opts: { jobId: `${toJobId(original.meta.idempotency_key)}-${i}`, attempts: 5, backoff: { type: 'revos' } } })),
    );

    let statuses: string[] = [];
    for (let i = 0; i < 600; i++) {
      const jobs = await h.queues.interactive.getJobs(['completed']);
      statuses = jobs.map((j) => (j.returnvalue as { status?: string } | null)?.status ?? 'none');
      if (statuses.length === 50) break;
      await sleep(50);
    }
    const ok = statuses.filter((s) => s === 'ok');
    const noop = statuses.filter((s) => s === 'noop');
    console.log(`concurrent deliveries: ${ok.length} ok, ${noop.length} noop, vendor calls ${h.vendor.countFor('sms')}`);
    expect(ok).toHaveLength(1);
    expect(noop).toHaveLength(49);
    const [run] = await h.db.sql<{ status: string }[]>`select status from workflow_runs where idempotency_key = ${original.meta.idempotency_key}`;
    expect(run?.status).toBe('ok');
    expect(h.vendor.countFor('sms')).toBe(1);
    const events = await h.db.sql`select 1 from events where idempotency_key = ${original.meta.idempotency_key} and effect_name is not null`;
    expect(events).toHaveLength(1);
  }, 60_000);
});
