import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, startHarness, TENANT, type Harness } from '../support/harness.js';
import type { TestProducer } from '../producer/helpers.js';
import { newMessageSid, postInboundText, startPatientsProducer, textIn, textOut, textsTo } from './helpers.js';

/** Replies that act: a confirm after a reminder confirms that appointment at the PMS, once. */
let h: Harness;
let p: TestProducer;
beforeAll(async () => {
  h = await startHarness();
  p = await startPatientsProducer(h);
  for (const patient of ['p_nia', 'p_oli', 'p_pam', 'p_quin']) await allowSms(h.db, patient);
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

const confirmCalls = (appointmentId: string) => h.vendor.requests.filter((r) => r.route === 'confirm' && r.path.endsWith(`/appointments/${appointmentId}/confirm`));

describe('C / YES / CONFIRM after a reminder', () => {
  it('confirms the appointment at the PMS once when Twilio delivers the reply twice at once', async () => {
    expect((await textOut(h, { to: '+15552220001', patientId: 'p_nia', template: 'appointment_reminder', appointmentId: 'apt_500' })).status).toBe('ok');
    const sid = newMessageSid();
    const answers = await Promise.all([0, 1].map(() => postInboundText(p, { tenant: TENANT, sid, from: '+15552220001', body: ' c ' })));
    const runIds = new Set(answers.map((a) => a.headers.get('x-revos-run-id')));
    expect(runIds.size).toBe(1);
    const run = await h.waitForRun([...runIds][0]!);
    expect(run.status).toBe('ok');
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'confirm', appointment_id: 'apt_500', appointment_status: 'confirmed' });
    expect(confirmCalls('apt_500')).toHaveLength(1);
    expect(confirmCalls('apt_500')[0]?.headers['idempotency-key']).toMatch(/^[0-9a-f]{48}$/);
    expect(run.output?.audit.external_calls.map((c) => c.endpoint)).toEqual(expect.arrayContaining(['appointment.confirm']));
    expect(textsTo(h, '+15552220001').filter((b) => b.includes('confirmed'))).toHaveLength(1);
    const [event] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from events where event_type = 'appointment.confirmed'`;
    expect(event?.n).toBe(1);
  });

  it('a later confirm from the same number finds nothing open and calls nobody', async () => {
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: '+15552220001', body: 'YES' });
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'confirm', appointment_id: null });
    expect(confirmCalls('apt_500')).toHaveLength(1);
  });

  it('a confirm from a number that was never reminded calls nobody', async () => {
    const before = h.vendor.countFor('confirm');
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: '+15552220009', body: 'CONFIRM' });
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'confirm', appointment_id: null });
    expect(h.vendor.countFor('confirm')).toBe(before);
  });

  it('confirms the latest reminder to the number when two patients share it', async () => {
    await textOut(h, { to: '+15552220002', patientId: 'p_oli', template: 'appointment_reminder', appointmentId: 'apt_501' });
    await textOut(h, { to: '+15552220002', patientId: 'p_pam', template: 'appointment_reminder', appointmentId: 'apt_502' });
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: '+15552220002', body: 'Confirm' });
    expect(run.output?.result.primary_outputs).toMatchObject({ appointment_id: 'apt_502' });
    const [stored] = await h.db.sql<{ subject: Record<string, string> }[]>`select envelope->'subject' as subject from workflow_runs where workflow_run_id = ${run.workflow_run_id}`;
    expect(stored?.subject).toEqual({ patient_id: 'p_pam' });
    expect(confirmCalls('apt_501')).toHaveLength(0);
  });

  it('retries a PMS outage with the same idempotency key and confirms once', async () => {
    await textOut(h, { to: '+15552220003', patientId: 'p_quin', template: 'appointment_reminder', appointmentId: 'apt_503' });
    h.vendor.script('confirm', [{ status: 503, body: { error: 'maintenance' } }]);
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: '+15552220003', body: 'c' });
    const settled = run.status === 'retry' ? await h.waitForRun(run.workflow_run_id, (r) => r.status === 'ok', 20_000) : run;
    expect(settled.status).toBe('ok');
    expect(settled.retry_count).toBe(1);
    const calls = confirmCalls('apt_503');
    expect(calls).toHaveLength(2);
    expect(calls[0]?.headers['idempotency-key']).toBe(calls[1]?.headers['idempotency-key']);
    expect(textsTo(h, '+15552220003').filter((b) => b.includes('confirmed'))).toHaveLength(1);
  });

  it('does not act on a reminder older than three days', async () => {
    await textOut(h, { to: '+15552220004', patientId: 'p_nia', template: 'appointment_reminder', appointmentId: 'apt_504' });
    await h.db.sql`update appointment_prompts set sent_at = now() - interval '4 days' where appointment_id = 'apt_504'`;
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: '+15552220004', body: 'C' });
    expect(run.output?.result.primary_outputs).toMatchObject({ appointment_id: null });
    expect(confirmCalls('apt_504')).toHaveLength(0);
  });
});

describe('YES from an opted-out number', () => {
  it('re-allows the number and confirms nothing, also when the confirmation text fails once and the run retries', async () => {
    await textOut(h, { to: '+15552220006', patientId: 'p_quin', template: 'appointment_reminder', appointmentId: 'apt_600' });
    await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: '+15552220006', body: 'STOP' });
    h.vendor.script('sms', [{ status: 503, body: { code: 20503, message: 'Service unavailable' } }]);
    const yes = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: '+15552220006', body: 'YES' });
    const settled = yes.status === 'ok' ? yes : await h.waitForRun(yes.workflow_run_id, (r) => r.status === 'ok', 20_000);
    expect(settled.retry_count).toBe(1);
    expect(settled.output?.result.primary_outputs).toMatchObject({ intent: 'start' });
    expect(confirmCalls('apt_600')).toHaveLength(0);
    const [row] = await h.db.sql<{ status: string }[]>`select status from address_consents where address = '+15552220006' and channel = 'sms'`;
    expect(row?.status).toBe('allow');
  });
});

describe('WF18 bookings', () => {
  it("carry the appointment into the confirmation text, so a 'C' reply confirms the booked appointment", async () => {
    const e = h.envelope({ workflow: 'WF18_Schedule', payload: { practice_id: 'prac_1', slot_start: new Date(Date.now() + 2 * 86_400_000).toISOString(), confirm_to: '+15552220005' }, subject: { patient_id: 'p_oli' } });
    const { submitRun, dispatchPending } = await import('@revos/runtime');
    await submitRun(h, e, { source: 'api' });
    const booked = await h.waitForRun(e.meta.workflow_run_id);
    const appointmentId = booked.output?.result.primary_outputs['appointment_id'] as string;
    expect(booked.output?.result.next_actions[0]?.payload).toMatchObject({ appointment_id: appointmentId, to: '+15552220005' });
    await dispatchPending({ db: h.db, queues: h.queues, catalog: h.catalog, log: h.deps.log, privacy: h.privacy }, { parentRunId: booked.workflow_run_id });
    let child: { workflow_run_id: string } | undefined;
    for (let i = 0; i < 400 && !child; i++) {
      [child] = await h.db.sql<{ workflow_run_id: string }[]>`select workflow_run_id from workflow_runs where parent_run_id = ${booked.workflow_run_id}`;
      if (!child) await new Promise((r) => setTimeout(r, 25));
    }
    expect((await h.waitForRun(child!.workflow_run_id)).status).toBe('ok');
    expect(textsTo(h, '+15552220005')).toHaveLength(1);
    const [prompt] = await h.db.sql`select 1 from appointment_prompts where appointment_id = ${appointmentId}`;
    expect(prompt).toBeDefined();
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: '+15552220005', body: 'c' });
    expect(run.output?.result.primary_outputs).toMatchObject({ appointment_id: appointmentId, appointment_status: 'confirmed' });
  });
});
