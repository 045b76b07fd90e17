import type { Job } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, invalidStoredOutputs, makeEnvelope, sleep, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await allowSms(h.db, 'p_ada');
});
afterAll(async () => {
  await h?.close();
});

const smsPayload = (text: string) => ({ to: '+15551230001', body: text });

async function finishedJob(h: Harness, jobId: string): Promise<Job> {
  for (let i = 0; i < 400; i++) {
    const job = await h.queues.interactive.getJob(jobId);
    if (job?.finishedOn) return job;
    await sleep(25);
  }
  throw new Error(`job ${jobId} did not finish`);
}

describe('exactly-once delivery', () => {
  it('sends one text for an envelope delivered twice, and again after its job was removed', async () => {
    const envelope = h.envelope({ workflow: 'WF30_Send_SMS', payload: smsPayload('hello once'), subject: { patient_id: 'p_ada' } });
    const [jobA, jobB] = await Promise.all([h.enqueue(envelope), h.enqueue(envelope)]);
    expect(jobA).toBe(jobB); // BullMQ's jobId absorbed the second delivery

    const first = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(first.status).toBe('ok');
    const job = await finishedJob(h, jobA);
    await job.remove();

    // Redelivery after the job left Redis: only the ledger stands between it and a second text.
    const again = await h.enqueue(envelope);
    const redelivered = await finishedJob(h, again);
    expect(redelivered.returnvalue).toMatchObject({ status: 'noop' });
    await redelivered.remove();

    // A vendor retry that reached us as a new run (new run id, same key) is a noop naming the first.
    const copyRunId = `wr_COPY${envelope.meta.workflow_run_id.slice(3)}`;
    const copy = { ...envelope, meta: { ...envelope.meta, workflow_run_id: copyRunId, root_run_id: copyRunId } };
    await h.enqueue(copy);
    const noop = await h.waitForRun(copy.meta.workflow_run_id);
    expect(noop.status).toBe('noop');
    expect(noop.output?.result.primary_outputs).toMatchObject({ prior_run_id: envelope.meta.workflow_run_id, prior_status: 'ok' });
    expect(noop.output?.meta_out.success).toBe(true);

    expect(h.vendor.countFor('sms')).toBe(1);
    const events = await h.db.sql`select event_type from events where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(events.map((e) => e.event_type)).toEqual(['sms.sent']);
    // The stored first run is untouched by the later noops.
    const [stored] = await h.db.sql`select status from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(stored?.status).toBe('ok');
  });

  it('fails with idempotency_conflict when a key arrives with another payload, while in progress and after', async () => {
    h.vendor.script('sms', [{ status: 201, body: { sid: 'SM' + 'a'.repeat(32), status: 'queued' }, delayMs: 600 }]);
    const original = h.envelope({ workflow: 'WF30_Send_SMS', payload: smsPayload('original'), subject: { patient_id: 'p_ada' } });
    await h.enqueue(original);
    const tampered = (suffix: string) => {
      const e = makeEnvelope({ workflow: 'WF30_Send_SMS', payload: smsPayload('tampered'), subject: { patient_id: 'p_ada' } });
      // Same key as the original, different payload. Added under its own jobId, as a second producer would.
      return { ...e, meta: { ...e.meta, idempotency_key: original.meta.idempotency_key, trigger_id: original.meta.trigger_id, workflow_run_id: e.meta.workflow_run_id, root_run_id: e.meta.root_run_id }, _suffix: suffix };
    };
    const during = tampered('during');
    await sleep(150); // the original is now inside its slow vendor call
    await h.queues.interactive.add('WF30_Send_SMS', { meta: during.meta, subject: during.subject, payload: during.payload }, { jobId: 'conflict-during', attempts: 3 });
    const duringRow = await h.waitForRun(during.meta.workflow_run_id);

    await h.waitForRun(original.meta.workflow_run_id);
    const after = tampered('after');
    await h.queues.interactive.add('WF30_Send_SMS', { meta: after.meta, subject: after.subject, payload: after.payload }, { jobId: 'conflict-after', attempts: 3 });
    const afterRow = await h.waitForRun(after.meta.workflow_run_id);

    for (const row of [duringRow, afterRow]) {
      expect(row.status).toBe('failed');
      expect(row.failure_code).toBe('idempotency_conflict');
      expect(row.output?.meta_out.failure_stage).toBe('compute_payload_hash');
    }
    for (const jobId of ['conflict-during', 'conflict-after']) {
      const job = await h.queues.interactive.getJob(jobId);
      expect(job?.attemptsMade).toBe(1); // terminal: never retried
      expect(job?.failedReason).toMatch(/^idempotency_conflict/);
    }
    const original_ = await h.waitForRun(original.meta.workflow_run_id);
    expect(original_.status).toBe('ok');
    const texts = h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.Body === 'tampered');
    expect(texts).toHaveLength(0);
  });

  it('stored only outputs that pass the contract schema', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
