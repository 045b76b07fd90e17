/**
 * Delivery receipts, end to end: a text sent through the API carries the producer's status route as
 * its StatusCallback; the vendor stand-in, playing Twilio, posts signed status callbacks back; each
 * (sid, status) becomes one WF33_Delivery_Status run, a child of the send's run, with one event; an
 * undelivered reminder opens one staff task with the carrier's reason in words. Forged, unsigned and
 * empty callbacks are refused and record nothing; status callbacks posted to the SMS webhook never
 * start WF31.
 */
import { createApiKey } from '@revos/db';
import { twilioSignature } from '@revos/producer';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, TENANT, type Harness } from '../support/harness.js';
import type { TestProducer } from '../producer/helpers.js';
import { eventually, HARNESS_TWILIO_TOKEN, startDeliveryFleet, statusEvents } from './helpers.js';

const METRICS_TOKEN = 'metrics-token-0123456789';
let h: Harness;
let p: TestProducer;
let apiKey: string;

beforeAll(async () => {
  ({ h, p } = await startDeliveryFleet({ metricsToken: METRICS_TOKEN }));
  apiKey = await createApiKey(h.db.sql, TENANT, 'delivery-test');
  await allowSms(h.db, 'p_dora');
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

/** Sends an appointment reminder through POST /v1/runs and returns the send's run and Twilio sid. */
async function remind(to: string, appointmentId: string): Promise<{ runId: string; rootRunId: string; sid: string }> {
  const res = await fetch(`${p.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      meta: { workflow_name: 'WF30_Send_SMS', trigger_source: 'ui', trigger_id: `reminder_${ulid()}`, environment: 'staging', privacy_mode: 'standard' },
      subject: { patient_id: 'p_dora' },
      payload: { to, template: 'appointment_reminder', appointment_id: appointmentId },
    }),
  });
  if (res.status !== 202) throw new Error(`POST /v1/runs answered ${res.status}: ${await res.text()}`);
  const accepted = (await res.json()) as { workflow_run_id: string; root_run_id: string };
  const run = await h.waitForRun(accepted.workflow_run_id);
  expect(run.status).toBe('ok');
  return { runId: accepted.workflow_run_id, rootRunId: accepted.root_run_id, sid: run.output?.result.primary_outputs['message_sid'] as string };
}

/** Posts a signed form to one of the tenant's Twilio webhooks, as Twilio would. */
async function postSigned(path: 'status' | 'sms', form: Record<string, string>, signature?: string): Promise<Response> {
  const url = `${p.url}/webhooks/twilio/${TENANT}/${path}`;
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature ?? twilioSignature(HARNESS_TWILIO_TOKEN, url, form) },
    body: new URLSearchParams(form).toString(),
  });
}

async function statusRun(res: Response) {
  expect(res.status).toBe(200);
  const runId = res.headers.get('x-revos-run-id')!;
  const run = await h.waitForRun(runId);
  const [row] = await h.db.sql<{ workflow_name: string; parent_run_id: string | null; root_run_id: string }[]>`
    select workflow_name, parent_run_id, root_run_id from workflow_runs where workflow_run_id = ${runId}`;
  return { ...run, ...row!, answer: res.headers.get('x-revos-status') };
}

const tasksOf = (runIds: string[]) =>
  h.db.sql<{ kind: string; reason: string; root_run_id: string }[]>`select kind, reason, root_run_id from tasks where workflow_run_id = any(${runIds})`;
const acceptedCount = async () => (await h.db.sql<{ n: number }[]>`select count(*)::int as n from accepted_runs`)[0]!.n;

describe('a text carries its StatusCallback', () => {
  it('names the tenant status route under PUBLIC_BASE_URL', async () => {
    const sent = await remind('+15553330001', 'apt_dr_1');
    expect(h.vendor.statusCallbackOf(sent.sid)).toBe(`${p.url}/webhooks/twilio/${TENANT}/status`);
  });
});

describe('status callbacks', () => {
  it('record delivered once, as an event in the send lineage; the same callback again is a duplicate', async () => {
    const sent = await remind('+15553330002', 'apt_dr_2');
    const first = await statusRun(await h.vendor.postStatus(sent.sid, 'delivered'));
    expect(first).toMatchObject({ status: 'ok', answer: 'queued', workflow_name: 'WF33_Delivery_Status', parent_run_id: sent.runId, root_run_id: sent.rootRunId });
    expect(first.output?.result.primary_outputs).toMatchObject({ sid: sent.sid, status: 'delivered', delivery_state: 'delivered', changed: true });

    const again = await h.vendor.postStatus(sent.sid, 'delivered');
    expect(again.status).toBe(200);
    expect(again.headers.get('x-revos-status')).toBe('duplicate');
    expect(again.headers.get('x-revos-run-id')).toBe(first.workflow_run_id);
    const events = await statusEvents(h, sent.sid);
    expect(events).toEqual([{ status: 'delivered', workflow_run_id: first.workflow_run_id, root_run_id: sent.rootRunId }]);
  });

  it('a sent that arrives after delivered is recorded and changes nothing', async () => {
    const sent = await remind('+15553330003', 'apt_dr_3');
    await statusRun(await h.vendor.postStatus(sent.sid, 'delivered'));
    const late = await statusRun(await h.vendor.postStatus(sent.sid, 'sent'));
    expect(late.output?.result.primary_outputs).toMatchObject({ status: 'sent', state_before: 'delivered', delivery_state: 'delivered', changed: false });
    expect((await statusEvents(h, sent.sid)).map((e) => e.status)).toEqual(['delivered', 'sent']);
    expect(await tasksOf([late.workflow_run_id])).toEqual([]);
  });

  it('undelivered with 30007 opens one staff task that says why in words, however often Twilio repeats it', async () => {
    const sent = await remind('+15553330004', 'apt_dr_4');
    await statusRun(await h.vendor.postStatus(sent.sid, 'sent'));
    const failed = await statusRun(await h.vendor.postStatus(sent.sid, 'undelivered', { errorCode: '30007' }));
    expect(failed.output?.result.primary_outputs).toMatchObject({ status: 'undelivered', error_code: '30007', delivery_state: 'undelivered', changed: true });
    const repeat = await h.vendor.postStatus(sent.sid, 'undelivered', { errorCode: '30007' });
    expect(repeat.headers.get('x-revos-status')).toBe('duplicate');
    const tasks = await tasksOf([failed.workflow_run_id]);
    expect(tasks).toHaveLength(1);
    expect(tasks[0]).toMatchObject({ kind: 'delivery_failed', root_run_id: sent.rootRunId });
    expect(tasks[0]!.reason).toContain('apt_dr_4');
    expect(tasks[0]!.reason).toContain('30007: the carrier filtered the message as unwanted');
    // The task names no number and no message text.
    expect(tasks[0]!.reason).not.toContain('+1555');
    expect(tasks[0]!.reason).not.toContain('Reminder');
  });

  it('a forged or missing signature is refused with 403 and records nothing', async () => {
    const sent = await remind('+15553330005', 'apt_dr_5');
    const before = await acceptedCount();
    expect((await h.vendor.postStatus(sent.sid, 'delivered', { authToken: 'not-the-account-token' })).status).toBe(403);
    const form = { MessageSid: sent.sid, MessageStatus: 'delivered' };
    const unsigned = await fetch(`${p.url}/webhooks/twilio/${TENANT}/status`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(form).toString() });
    expect(unsigned.status).toBe(403);
    expect(await acceptedCount()).toBe(before);
    expect(await statusEvents(h, sent.sid)).toEqual([]);
  });

  it('an empty or malformed body is 400 naming the field, never 500', async () => {
    const empty = await postSigned('status', {});
    expect(empty.status).toBe(400);
    const body = (await empty.json()) as { error: string; issues: { path: string }[] };
    expect(body.error).toBe('invalid_body');
    expect(body.issues.map((i) => i.path).sort()).toEqual(['MessageSid', 'MessageStatus']);
    const bad = await postSigned('status', { MessageSid: 'SM0123456789abcdef', MessageStatus: 'DELIVERED!' });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['MessageStatus']);
    const badCode = await postSigned('status', { MessageSid: 'SM0123456789abcdef', MessageStatus: 'failed', ErrorCode: 'x1' });
    expect(((await badCode.json()) as { issues: { path: string }[] }).issues.map((i) => i.path)).toEqual(['ErrorCode']);
  });

  it('a callback about a message the fleet did not send is recorded as a root run and counted as unknown', async () => {
    const res = await postSigned('status', { MessageSid: `SM${ulid()}`, MessageStatus: 'delivered', AccountSid: 'AC_test' });
    const run = await statusRun(res);
    expect(run).toMatchObject({ status: 'ok', parent_run_id: null });
  });
});

describe('status callbacks posted to the SMS webhook', () => {
  it('are recorded as status callbacks, never as an inbound text (no WF31), delivered and undelivered alike', async () => {
    const sent = await remind('+15553330006', 'apt_dr_6');
    const base = { MessageSid: sent.sid, SmsSid: sent.sid, AccountSid: 'AC_test', From: '+15550000001', To: '+15553330006', ApiVersion: '2010-04-01' };
    const delivered = await statusRun(await postSigned('sms', { ...base, MessageStatus: 'delivered', SmsStatus: 'delivered' }));
    const undelivered = await statusRun(await postSigned('sms', { ...base, MessageStatus: 'undelivered', SmsStatus: 'undelivered', ErrorCode: '30003' }));
    expect([delivered.workflow_name, undelivered.workflow_name]).toEqual(['WF33_Delivery_Status', 'WF33_Delivery_Status']);
    expect(undelivered.answer).toBe('queued');
    // delivered came first: the late undelivered is recorded but does not undo it (no task).
    expect(undelivered.output?.result.primary_outputs).toMatchObject({ delivery_state: 'delivered', changed: false });
    const [wf31] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from workflow_runs where workflow_name = 'WF31_Inbound_SMS'`;
    expect(wf31?.n).toBe(0);
  });
});

describe('the delivery metric', () => {
  it('counts each first recording by tenant, sending workflow and status', async () => {
    const text = await eventually(async () => {
      const res = await fetch(`${p.url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
      expect(res.status).toBe(200);
      return res.text();
    });
    const line = (status: string) => new RegExp(`^revos_delivery_status_total\\{tenant="${TENANT}",workflow="WF30_Send_SMS",channel="sms",status="${status}"\\} (\\d+)$`, 'm');
    // Four texts delivered once each (the repeat not counted), one undelivered, two late sent.
    expect(line('delivered').exec(text)?.[1]).toBe('3');
    expect(line('undelivered').exec(text)?.[1]).toBe('2');
    expect(line('sent').exec(text)?.[1]).toBe('2');
    expect(text).toMatch(new RegExp(`^revos_delivery_status_total\\{tenant="${TENANT}",workflow="unknown",channel="sms",status="delivered"\\} 1$`, 'm'));
  });
});
