import { toJobId } from '@revos/envelope';
import { newRunId } from '@revos/envelope';
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
    // Fifty deliveries of the same trigger, each reaching the queue under its own job (past BullMQ's dedupe),
    // each as its own run, as fifty producer replicas would hand them over.
    const deliveries = Array.from({ length: 50 }, (_, i) => {
      const runId = i === 0 ? original.meta.workflow_run_id : newRunId();
      return { ...original, meta: { ...original.meta, workflow_run_id: runId, root_run_id: runId } };
    });
    await h.queues.interactive.addBulk(
      deliveries.map((d, i) => ({ name: 'WF30_Send_SMS', data: d, opts: { jobId: `${toJobId(d.meta.idempotency_key)}-${i}`, attempts: 5, backoff: { type: 'revos' } } })),
    );

    let rows: { status: string; prior: string | null; workflow_run_id: string }[] = [];
    for (let i = 0; i < 600; i++) {
      rows = await h.db.sql`
        select workflow_run_id, status, output->'result'->'primary_outputs'->>'prior_run_id' as prior
          from workflow_runs where idempotency_key = ${original.meta.idempotency_key}`;
      if (rows.length === 50 && rows.every((r) => r.status === 'ok' || r.status === 'noop')) break;
      await sleep(50);
    }
    const ok = rows.filter((r) => r.status === 'ok');
    const noop = rows.filter((r) => r.status === 'noop');
    console.log(`concurrent deliveries: ${ok.length} ok, ${noop.length} noop, vendor calls ${h.vendor.countFor('sms')}`);
    expect(ok).toHaveLength(1);
    expect(noop).toHaveLength(49);
    for (const n of noop) expect(n.prior).toBe(ok[0]!.workflow_run_id);
    expect(h.vendor.countFor('sms')).toBe(1);
    const events = await h.db.sql`select 1 from events where idempotency_key = ${original.meta.idempotency_key} and effect_name is not null`;
    expect(events).toHaveLength(1);
  }, 60_000);
});
