/**
 * Only runs intake accepted run. A job added to a lane queue past intake (a dashboard's "add job", a
 * script with the Redis password), or a forged one reusing an accepted key with another envelope,
 * fails terminally as `not_accepted` with an alert: no vendor call, no run, ledger, task or outbox row
 * (a ledger row would make the real run of that key a noop).
 */
import { submitRun } from '@revos/runtime';
import type { Envelope } from '@revos/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, makeEnvelope, startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ lanes: ['interactive'] });
  await allowSms(h.db, 'p_na');
});
afterAll(async () => {
  await h?.close();
});

const sms = (body: string, to = '+15551230077') => ({ to, body });
const textsTo = (to: string) => h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.To === to);

async function failedReason(jobId: string): Promise<string | undefined> {
  await expect.poll(async () => (await h.queues.interactive.getJob(jobId))?.isFailed(), { timeout: 10_000 }).toBe(true);
  const job = await h.queues.interactive.getJob(jobId);
  expect(job?.attemptsMade).toBe(1); // terminal: never retried
  return job?.failedReason;
}

async function alertFor(jobId: string) {
  const rows = await h.db.sql<{ tenant_id: string; workflow_run_id: string; details: Record<string, unknown> }[]>`
    select tenant_id, workflow_run_id, details from alerts where kind = 'not_accepted' and details->>'job_id' = ${jobId}`;
  return rows;
}

/** Every row a run could leave, by run id and key. */
async function rowsOf(e: Envelope) {
  const [row] = await h.db.sql<{ runs: number; ledger: number; tasks: number; outbox: number; events: number }[]>`
    select (select count(*)::int from workflow_runs where workflow_run_id = ${e.meta.workflow_run_id}) as runs,
           (select count(*)::int from idempotency_keys where idempotency_key = ${e.meta.idempotency_key}) as ledger,
           (select count(*)::int from tasks where idempotency_key = ${e.meta.idempotency_key}) as tasks,
           (select count(*)::int from outbox where parent_run_id = ${e.meta.workflow_run_id}) as outbox,
           (select count(*)::int from events where idempotency_key = ${e.meta.idempotency_key}) as events`;
  return row!;
}

describe('a job intake never accepted', () => {
  it('added straight to the queue: fails not_accepted with an alert, the vendor hears nothing, and the real run of its key later runs', async () => {
    const envelope = makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms('past intake', '+15551230071'), subject: { patient_id: 'p_na' } });
    await h.queues.interactive.add('WF30_Send_SMS', envelope, { jobId: 'raw-add', attempts: 3 });

    expect(await failedReason('raw-add')).toMatch(/^not_accepted: intake never accepted this job/);
    const [alert] = await alertFor('raw-add');
    expect(alert).toMatchObject({ tenant_id: envelope.meta.tenant_id, workflow_run_id: envelope.meta.workflow_run_id });
    expect(alert?.details).toMatchObject({ job_id: 'raw-add', lane: 'interactive', idempotency_key: envelope.meta.idempotency_key });
    expect(JSON.stringify(alert?.details)).not.toContain('+15551230071'); // ids only, never the job's values
    expect(textsTo('+15551230071')).toHaveLength(0);
    expect(await rowsOf(envelope)).toEqual({ runs: 0, ledger: 0, tasks: 0, outbox: 0, events: 0 });
    const logged = h.logLines.filter((l) => l['code'] === 'not_accepted' && l['job_id'] === 'raw-add');
    expect(logged).toHaveLength(1);
    expect(JSON.stringify(logged)).not.toContain('+15551230071');

    // The same trigger submitted through intake runs for real: the refusal left no ledger row to make it a noop.
    const accepted = await submitRun({ db: h.db, queues: h.queues, catalog: h.catalog, privacy: h.privacy }, envelope, { source: 'api' });
    expect(accepted.status).toBe('queued');
    expect((await h.waitForRun(envelope.meta.workflow_run_id)).status).toBe('ok');
    expect(textsTo('+15551230071')).toHaveLength(1);
  });

  it('forged over an accepted key and run id with another payload: refused, and the real run is untouched and runs once', async () => {
    const real = makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms('your appointment is at 9', '+15551230072'), subject: { patient_id: 'p_na' } });
    await h.accept(real, 'interactive'); // accepted, its job not yet added
    const forged = { ...real, payload: sms('your appointment is at 9', '+15551230073') };
    await h.queues.interactive.add('WF30_Send_SMS', forged, { jobId: 'forged-payload', attempts: 3 });

    expect(await failedReason('forged-payload')).toMatch(/^not_accepted/);
    expect(await alertFor('forged-payload')).toHaveLength(1);
    expect(textsTo('+15551230073')).toHaveLength(0);
    const [stored] = await h.db.sql<{ status: string }[]>`select status from workflow_runs where workflow_run_id = ${real.meta.workflow_run_id}`;
    expect(stored?.status).toBe('queued'); // the forged job wrote nothing on the real run's row
    expect(await rowsOf(real)).toMatchObject({ ledger: 0, tasks: 0, outbox: 0, events: 0 });

    await h.queues.interactive.add('WF30_Send_SMS', real, { jobId: 'real-job', attempts: 3 });
    expect((await h.waitForRun(real.meta.workflow_run_id)).status).toBe('ok');
    expect(textsTo('+15551230072')).toHaveLength(1);
  });

  it('forged over an accepted key with the same payload but another subject: refused at the claim', async () => {
    const real = makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms('hello', '+15551230074'), subject: { patient_id: 'p_na' } });
    await h.accept(real, 'interactive');
    // The payload (and so the key) matches: only the envelope hash in the claim tells the two apart.
    const forged = { ...real, subject: { patient_id: 'p_other' } };
    await h.queues.interactive.add('WF30_Send_SMS', forged, { jobId: 'forged-subject', attempts: 3 });

    expect(await failedReason('forged-subject')).toMatch(/^not_accepted/);
    expect(await alertFor('forged-subject')).toHaveLength(1);
    expect(textsTo('+15551230074')).toHaveLength(0);
    expect(await rowsOf(real)).toMatchObject({ ledger: 0, tasks: 0, outbox: 0, events: 0 });
  });

  it('past intake with an invalid payload: refused before validation writes anything; the alert names the field', async () => {
    const envelope = makeEnvelope({ workflow: 'WF30_Send_SMS', payload: { to: 'not-a-number', body: 'x' }, subject: { patient_id: 'p_na' } });
    await h.queues.interactive.add('WF30_Send_SMS', envelope, { jobId: 'raw-invalid', attempts: 3 });

    expect(await failedReason('raw-invalid')).toMatch(/^not_accepted/);
    const [alert] = await alertFor('raw-invalid');
    expect(alert?.details['issues']).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'payload.to' })]));
    expect(await rowsOf(envelope)).toEqual({ runs: 0, ledger: 0, tasks: 0, outbox: 0, events: 0 });
  });

  it('leaves accepted runs alone: a run through intake and its redelivery under another job id run once', async () => {
    const envelope = makeEnvelope({ workflow: 'WF30_Send_SMS', payload: sms('accepted', '+15551230075'), subject: { patient_id: 'p_na' } });
    await h.enqueue(envelope);
    expect((await h.waitForRun(envelope.meta.workflow_run_id)).status).toBe('ok');
    await h.queues.interactive.add('WF30_Send_SMS', envelope, { jobId: 'redelivery', attempts: 3 });
    await expect.poll(async () => (await h.queues.interactive.getJob('redelivery'))?.isCompleted(), { timeout: 10_000 }).toBe(true);
    expect((await h.queues.interactive.getJob('redelivery'))?.returnvalue).toMatchObject({ status: 'noop' });
    expect(textsTo('+15551230075')).toHaveLength(1);
    expect(await alertFor('redelivery')).toHaveLength(0);
  });
});
