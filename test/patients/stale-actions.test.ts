/**
 * Nothing stale, through the API and the voice webhook against the stand-in PMS and SMS provider: a
 * slot or an appointment that has passed is refused at intake naming the field, a run that starts
 * after it has passed books or sends nothing and ends blocked / expired with an event saying why,
 * and a caller whose offered slot passed while deciding is told so.
 */
import { createApiKey, saveVoiceTurn, upsertTenant } from '@revos/db';
import { twilioSignature } from '@revos/producer';
import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, invalidStoredOutputs, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { rowCounts, startTestProducer, type TestProducer } from '../producer/helpers.js';
import { textsTo } from './helpers.js';

const TWILIO_TOKEN = 'test-twilio-token';
const PATIENT = 'p_stale';
const PHONE = '+15554440001';

let h: Harness;
let p: TestProducer;
let key: string;
beforeAll(async () => {
  h = await startHarness({ immediateDispatch: true });
  await upsertTenant(h.db.sql, { tenantId: TENANT, name: 'Test Practice', config: { ...TENANT_CONFIG, voice_budget_ms: 20_000 } });
  await allowSms(h.db, PATIENT);
  key = await createApiKey(h.db.sql, TENANT);
  p = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN });
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

const inMs = (ms: number) => new Date(Date.now() + ms).toISOString();

async function submit(workflow: string, payload: Record<string, unknown>, runAfter?: string): Promise<{ status: number; json: any }> {
  const res = await fetch(`${p.url}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      meta: { workflow_name: workflow, trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' },
      subject: { patient_id: PATIENT },
      payload,
      ...(runAfter ? { options: { run_after_utc: runAfter } } : {}),
    }),
  });
  return { status: res.status, json: await res.json() };
}

async function waitForChild(parentRunId: string): Promise<{ workflow_run_id: string; payload: Record<string, unknown> } | undefined> {
  for (let i = 0; i < 400; i++) {
    const [row] = await h.db.sql<{ workflow_run_id: string; payload: Record<string, unknown> }[]>`
      select workflow_run_id, envelope->'payload' as payload from workflow_runs where parent_run_id = ${parentRunId} and workflow_name = 'WF30_Send_SMS'`;
    if (row) return row;
    await new Promise((r) => setTimeout(r, 25));
  }
  return undefined;
}

const bookings = () => h.vendor.requests.filter((r) => r.route === 'appointments').length;
const eventsOf = (runId: string) =>
  h.db.sql<{ event_type: string; payload: Record<string, unknown> }[]>`select event_type, payload from events where workflow_run_id = ${runId} order by occurred_at`;
const tasksOf = async (runId: string) => (await h.db.sql`select 1 from tasks where workflow_run_id = ${runId}`).length;

describe('WF18: a slot in the past', () => {
  it.each([
    ['five minutes ago', () => inMs(-5 * 60_000)],
    ['in 1999', () => '1999-06-01T15:00:00Z'],
  ])('is refused at intake when it was %s: 400 naming payload.slot_start, nothing recorded or booked', async (_, slot) => {
    const before = await rowCounts(h);
    const booked = bookings();
    const res = await submit('WF18_Schedule', { practice_id: 'prac_test', slot_start: slot() });
    expect(res.status).toBe(400);
    expect(res.json.error).toBe('invalid_envelope');
    expect(res.json.issues).toContainEqual(expect.objectContaining({ path: 'payload.slot_start', rule: 'in_the_past' }));
    expect(await rowCounts(h)).toEqual(before);
    expect(bookings()).toBe(booked);
  });

  it('a slot still ahead is booked, and its confirmation text names the appointment and its start', async () => {
    const slot = inMs(2 * 86_400_000);
    const res = await submit('WF18_Schedule', { practice_id: 'prac_test', slot_start: slot, confirm_to: PHONE });
    expect(res.status).toBe(202);
    const run = await h.waitForRun(res.json.workflow_run_id);
    expect(run.status).toBe('ok');
    const child = await waitForChild(run.workflow_run_id);
    expect(child?.payload).toMatchObject({ to: PHONE, template: 'appointment_confirmation', appointment_id: expect.stringMatching(/^apt_/), appointment_at: slot });
    expect((await h.waitForRun(child!.workflow_run_id)).status).toBe('ok');
  });

  it('a run that starts after its slot has passed books nothing and ends blocked / expired with an event saying why', async () => {
    const booked = bookings();
    // Ahead when asked for, passed by the time the run is due.
    const res = await submit('WF18_Schedule', { practice_id: 'prac_test', slot_start: inMs(1_500), confirm_to: PHONE }, inMs(3_500));
    expect(res.status).toBe(202);
    const run = await h.waitForRun(res.json.workflow_run_id);
    expect(run.status).toBe('blocked');
    expect(run.failure_code).toBe('expired');
    expect(run.output?.meta_out.failure_reason).toMatch(/^slot_start has passed/);
    expect(run.output?.result.next_actions).toEqual([]); // no confirmation text, no escalation
    expect(bookings()).toBe(booked);
    const events = await eventsOf(run.workflow_run_id);
    expect(events.map((e) => e.event_type)).toEqual(['appointment.slot_passed']);
    expect(events[0]!.payload).toMatchObject({ reason: 'expired', field: 'slot_start', passed_ago_s: expect.any(Number) });
    expect(await tasksOf(run.workflow_run_id)).toBe(0);
  });
});

describe('WF30: a text about an appointment that has passed', () => {
  it('is refused at intake: 400 naming payload.appointment_at', async () => {
    const res = await submit('WF30_Send_SMS', { to: PHONE, template: 'appointment_reminder', appointment_id: 'apt_gone', appointment_at: inMs(-60_000) });
    expect(res.status).toBe(400);
    expect(res.json.issues).toEqual([expect.objectContaining({ path: 'payload.appointment_at', rule: 'in_the_past' })]);
  });

  it('a reminder that starts after its appointment has passed is never sent: blocked / expired, an sms.expired event', async () => {
    const sent = textsTo(h, PHONE).length;
    const res = await submit('WF30_Send_SMS', { to: PHONE, template: 'appointment_reminder', appointment_id: 'apt_soon', appointment_at: inMs(1_500) }, inMs(3_500));
    expect(res.status).toBe(202);
    const run = await h.waitForRun(res.json.workflow_run_id);
    expect(run.status).toBe('blocked');
    expect(run.failure_code).toBe('expired');
    expect(textsTo(h, PHONE)).toHaveLength(sent);
    // Refused where the text would leave: the attempt is listed as not sent, and Twilio was never asked.
    expect(run.output?.audit.external_calls.filter((c) => c.service === 'twilio' && c.success)).toEqual([]);
    const events = await eventsOf(run.workflow_run_id);
    expect(events.map((e) => e.event_type)).toEqual(['sms.expired']);
    expect(events[0]!.payload).toMatchObject({ reason: 'expired', field: 'appointment_at' });
    expect(await tasksOf(run.workflow_run_id)).toBe(0);
  });

  it('a reminder for an appointment still ahead is sent', async () => {
    const res = await submit('WF30_Send_SMS', { to: PHONE, template: 'appointment_reminder', appointment_id: 'apt_later', appointment_at: inMs(86_400_000) });
    expect(res.status).toBe(202);
    expect((await h.waitForRun(res.json.workflow_run_id)).status).toBe('ok');
  });
});

describe('WF17: an offered slot that passes while the caller decides', () => {
  it('books nothing and tells the caller the slot has gone, asking for another time', async () => {
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    const gone = inMs(-2 * 60_000);
    // Turn 1 offered a slot that has since begun (as if the caller took two minutes to answer).
    await saveVoiceTurn(h.db.sql, {
      tenantId: TENANT,
      callSid,
      turn: 1,
      workflowRunId: `wr_${ulid()}`,
      intent: 'book',
      state: { stage: 'offered', offered_slots: [{ start: gone, provider_id: 'prov_1' }], patient_id: PATIENT, appointment_id: null },
    });
    const booked = bookings();
    const url = `${p.url}/webhooks/twilio/${TENANT}/voice?turn=2`;
    const form = { CallSid: callSid, AccountSid: 'AC_test', From: PHONE, To: '+15550000003', CallStatus: 'in-progress', SpeechResult: 'yes', Confidence: '0.95' };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, form) },
      body: new URLSearchParams(form).toString(),
    });
    const twiml = await res.text();
    expect(res.headers.get('x-revos-reply')).toBe('answered');
    expect(twiml).toContain('<Say>Sorry, that time has just gone. What other day and time would suit you?</Say>');
    expect(twiml).toContain(`action="/webhooks/twilio/${TENANT}/voice?turn=3"`);
    expect(bookings()).toBe(booked);
    const runId = res.headers.get('x-revos-run-id')!;
    const run = await h.waitForRun(runId);
    expect(run.status).toBe('ok');
    expect(run.output?.result.next_actions).toEqual([]); // no confirmation text for a booking never made
    expect((await eventsOf(runId)).map((e) => e.event_type)).toContain('appointment.slot_passed');
  });
});

describe('what was stored', () => {
  it('every output passes the contract', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
