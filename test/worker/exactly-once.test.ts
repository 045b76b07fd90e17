import { submitRun } from '@revos/runtime';
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

    // A vendor retry that reached us as a new run (new run id, same key) is answered by intake with the first run, and adds no job.
    const copyRunId = `wr_COPY${envelope.meta.workflow_run_id.slice(3)}`;
    const copy = { ...envelope, meta: { ...envelope.meta, workflow_run_id: copyRunId, root_run_id: copyRunId } };
    const answer = await submitRun({ db: h.db, queues: h.queues, catalog: h.catalog, privacy: h.privacy }, copy, { source: 'api' });
    expect(answer).toMatchObject({ status: 'duplicate', workflow_run_id: envelope.meta.workflow_run_id });
    expect(await h.queues.interactive.getJob(answer.job_id)).toBeUndefined();
    expect(await h.db.sql`select 1 from workflow_runs where workflow_run_id = ${copyRunId}`).toHaveLength(0);

    expect(h.vendor.countFor('sms')).toBe(1);
    const events = await h.db.sql`select event_type from events where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(events.map((e) => e.event_type)).toEqual(['sms.sent']);
    // The stored first run is untouched by the later noops.
    const [stored] = await h.db.sql`select status from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(stored?.status).toBe('ok');
  });

  it('refuses a job reusing an accepted key with another payload (not_accepted), while the original is in progress and after', async () => {
    h.vendor.script('sms', [{ status: 201, body: { sid: 'SM' + 'a'.repeat(32), status: 'queued' }, delayMs: 600 }]);
    const original = h.envelope({ workflow: 'WF30_Send_SMS', payload: smsPayload('original'), subject: { patient_id: 'p_ada' } });
    await h.enqueue(original);
    const tampered = (suffix: string) => {
      const e = makeEnvelope({ workflow: 'WF30_Send_SMS', payload: smsPayload('tampered'), subject: { patient_id: 'p_ada' } });
      // Same key as the original, different payload, added straight to the queue under its own jobId (intake answers such a
      // submission 409 idempotency_conflict; only a job past intake reaches the worker).
      return { ...e, meta: { ...e.meta, idempotency_key: original.meta.idempotency_key, trigger_id: original.meta.trigger_id, workflow_run_id: e.meta.workflow_run_id, root_run_id: e.meta.root_run_id }, _suffix: suffix };
    };
    const during = tampered('during');
    await sleep(150); // the original is now inside its slow vendor call
    await h.queues.interactive.add('WF30_Send_SMS', { meta: during.meta, subject: during.subject, payload: during.payload }, { jobId: 'conflict-during', attempts: 3 });
    await expect.poll(async () => (await h.queues.interactive.getJob('conflict-during'))?.isFailed(), { timeout: 10_000 }).toBe(true);

    await h.waitForRun(original.meta.workflow_run_id);
    const after = tampered('after');
    await h.queues.interactive.add('WF30_Send_SMS', { meta: after.meta, subject: after.subject, payload: after.payload }, { jobId: 'conflict-after', attempts: 3 });
    await expect.poll(async () => (await h.queues.interactive.getJob('conflict-after'))?.isFailed(), { timeout: 10_000 }).toBe(true);

    for (const jobId of ['conflict-during', 'conflict-after']) {
      const job = await h.queues.interactive.getJob(jobId);
      expect(job?.attemptsMade).toBe(1); // terminal: never retried
      expect(job?.failedReason).toMatch(/^not_accepted/);
    }
    // Nothing stored under the forged run ids; an alert for each job.
    expect(await h.db.sql`select 1 from workflow_runs where workflow_run_id in ${h.db.sql([during.meta.workflow_run_id, after.meta.workflow_run_id])}`).toHaveLength(0);
    const alerts = await h.db.sql`select 1 from alerts where kind = 'not_accepted' and details->>'job_id' in ('conflict-during', 'conflict-after')`;
    expect(alerts).toHaveLength(2);
    const original_ = await h.waitForRun(original.meta.workflow_run_id);
    expect(original_.status).toBe('ok');
    const texts = h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.Body === 'tampered');
    expect(texts).toHaveLength(0);
  });

  it('stored only outputs that pass the contract schema', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
