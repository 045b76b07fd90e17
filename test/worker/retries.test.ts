import { toJobId } from '@revos/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, invalidStoredOutputs, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ lanes: ['interactive'] });
  await allowSms(h.db, 'p_bob');
});
afterAll(async () => {
  await h?.close();
});

describe('retryable vendor failures', () => {
  it('retries 500, 500, then sends once with retry_count 2 and records each failed attempt as status=retry', async () => {
    h.vendor.script('sms', [{ status: 500, body: { code: 20500 } }, { status: 500, body: { code: 20500 } }]);
    const envelope = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: '+15551230002', body: 'retry me' }, subject: { patient_id: 'p_bob' } });
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);

    expect(run.status).toBe('ok');
    expect(run.retry_count).toBe(2);
    expect(run.output?.meta_out.retry_count).toBe(2);
    // Three requests reached the vendor; only the third was accepted, and one effect was journaled.
    expect(h.vendor.countFor('sms')).toBe(3);
    const effects = await h.db.sql`select state, attempts from effects where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(effects).toEqual([{ state: 'completed', attempts: 3 }]);
    const sent = await h.db.sql`select 1 from events where idempotency_key = ${envelope.meta.idempotency_key} and event_type = 'sms.sent'`;
    expect(sent).toHaveLength(1);

    // Each failed attempt left a retry record carrying its backoff time.
    const retries = await h.db.sql<{ payload: { failure_code: string; retry_in_ms: number } }[]>`
      select payload from events where workflow_run_id = ${envelope.meta.workflow_run_id} and event_type = 'run.retry_scheduled' order by occurred_at`;
    expect(retries.map((r) => r.payload.failure_code)).toEqual(['vendor_unavailable', 'vendor_unavailable']);
    for (const r of retries) expect(r.payload.retry_in_ms).toBeGreaterThan(0);
    const job = await h.queues.interactive.getJob(toJobId(envelope.meta.idempotency_key));
    expect(job?.attemptsMade).toBe(3); // BullMQ counts the successful attempt too
  });

  it('stores the retry attempt output with status=retry, its retry_count and a next action at the backoff time', async () => {
    h.vendor.script('sms', [{ status: 503 }, { hang: true }]);
    const envelope = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: '+15551230003', body: 'watch the retry' }, subject: { patient_id: 'p_bob' } });
    await h.enqueue(envelope);
    const retrying = await h.waitForRun(envelope.meta.workflow_run_id, (r) => r.status === 'retry');
    const out = retrying.output!;
    expect(out.result.status).toBe('retry');
    expect(out.meta_out.success).toBe(false);
    expect(out.meta_out.failure_code).toBe('vendor_unavailable');
    // The first retry is retry number 1.
    expect(out.meta_out.retry_count).toBe(1);
    expect(retrying.retry_count).toBe(1);
    const [action] = out.result.next_actions;
    expect(action?.workflow).toBe('WF30_Send_SMS');
    // Informational: the schema's RETRY_SCHEDULED, never a dispatchable CALL_WORKFLOW.
    expect(action?.action).toBe('RETRY_SCHEDULED');
    expect(action?.payload).toEqual({ retry_of: envelope.meta.workflow_run_id, retry_count: 1 });
    const dueIn = Date.parse(action!.run_after_utc!) - Date.parse(out.meta_out.ended_at_utc);
    expect(dueIn).toBe(out.result.primary_outputs.retry_in_ms);
    // The retry does not go to the outbox: BullMQ re-runs the same job under the same key.
    const outbox = await h.db.sql`select 1 from outbox where parent_run_id = ${envelope.meta.workflow_run_id}`;
    expect(outbox).toHaveLength(0);
  });

  it('waits at least the Retry-After of a 429 before calling again', async () => {
    h.vendor.reset();
    h.vendor.script('sms', [{ status: 429, headers: { 'Retry-After': '2' }, body: { code: 20429 } }]);
    const envelope = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: '+15551230004', body: 'slow down' }, subject: { patient_id: 'p_bob' } });
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);
    expect(run.status).toBe('ok');
    const calls = h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.Body === 'slow down');
    expect(calls).toHaveLength(2);
    const gap = calls[1]!.receivedAt.getTime() - calls[0]!.receivedAt.getTime();
    expect(gap).toBeGreaterThanOrEqual(2_000);
  });

  it('stored only outputs that pass the contract schema', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
