/**
 * Who the patient hears from, through the API and the signed Twilio webhooks against the SMS
 * stand-in: texts are signed with the tenant's `practice_name` (neutral wording without one), calls
 * greet with it, the tenant id never reaches a patient, and a STOP from a number already opted out
 * sends nothing.
 */
import { createApiKey, setConsent, upsertTenant } from '@revos/db';
import { twilioSignature } from '@revos/producer';
import { randomBytes } from 'node:crypto';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, invalidStoredOutputs, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import type { TestProducer } from '../producer/helpers.js';
import { newMessageSid, startPatientsProducer, textIn, textsTo, TWILIO_TOKEN } from './helpers.js';

/** A tenant whose id must never be shown, with a practice name; the harness's TENANT has none. */
const NAMED = 't_sunrise_7f3';
const PRACTICE = 'Sunrise Dental';
const PATIENT = 'p_voice_of_practice';

let h: Harness;
let p: TestProducer;
const keys: Record<string, string> = {};
beforeAll(async () => {
  h = await startHarness();
  await upsertTenant(h.db.sql, { tenantId: NAMED, name: NAMED, config: { ...TENANT_CONFIG, practice_name: PRACTICE } });
  await allowSms(h.db, PATIENT);
  await setConsent(h.db.sql, { tenantId: NAMED, subjectId: PATIENT, channel: 'sms', status: 'allow', source: 'test' });
  keys[TENANT] = await createApiKey(h.db.sql, TENANT);
  keys[NAMED] = await createApiKey(h.db.sql, NAMED);
  p = await startPatientsProducer(h);
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

async function textViaApi(tenant: string, to: string, template: string): Promise<string> {
  const res = await fetch(`${p.url}/v1/runs?wait_ms=15000`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${keys[tenant]}` },
    body: JSON.stringify({
      meta: { workflow_name: 'WF30_Send_SMS', trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' },
      subject: { patient_id: PATIENT },
      payload: { to, template },
    }),
  });
  const body = (await res.json()) as { run_status?: string };
  expect(body.run_status).toBe('ok');
  const texts = textsTo(h, to);
  return texts[texts.length - 1]!;
}

describe('texts are signed with the practice name, never the tenant id', () => {
  it('a template text through the API carries practice_name and not the tenant id', async () => {
    const body = await textViaApi(NAMED, '+15556660001', 'appointment_confirmation');
    expect(body).toBe(`${PRACTICE}: Your appointment is booked. Reply C to confirm or call us to change it.`);
    expect(body).not.toContain(NAMED);
  });

  it('without a practice_name the text is signed "Your care team", not with the tenant id or its internal name', async () => {
    const body = await textViaApi(TENANT, '+15556660002', 'appointment_reminder');
    expect(body).toBe('Your care team: Reminder: you have an appointment with us soon. Reply C to confirm.');
    expect(body).not.toContain(TENANT);
  });

  it('a practice_name breaking the rule (a control character) is not used: the wording stays neutral', async () => {
    const broken = 't_broken_name';
    await upsertTenant(h.db.sql, { tenantId: broken, name: broken, config: { ...TENANT_CONFIG, practice_name: 'Sunrise\nDental' } });
    const run = await textIn(h, p, { tenant: broken, sid: newMessageSid(), from: '+15556660003', body: 'HELP' });
    expect(run.status).toBe('ok');
    expect(textsTo(h, '+15556660003')).toEqual(['Your care team: appointment reminders and updates. Reply STOP to unsubscribe. Msg & data rates may apply.']);
  });
});

describe('STOP', () => {
  it('is confirmed once, signed with the practice name', async () => {
    const number = '+15556660010';
    const run = await textIn(h, p, { tenant: NAMED, sid: newMessageSid(), from: number, body: 'STOP' });
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'stop', consent_changed: true, reply_sid: expect.stringMatching(/^SM/) });
    expect(textsTo(h, number)).toEqual([`${PRACTICE}: you are unsubscribed and will receive no more texts from us. Reply START to resubscribe.`]);
  });

  it('a first STOP whose confirmation fails once still confirms on the retry (the opt-out its first attempt made is its own)', async () => {
    const number = '+15556660012';
    h.vendor.script('sms', [{ status: 503, body: { code: 20503, message: 'Service unavailable' } }]);
    const first = await textIn(h, p, { tenant: NAMED, sid: newMessageSid(), from: number, body: 'STOP' });
    const settled = first.status === 'ok' ? first : await h.waitForRun(first.workflow_run_id, (r) => r.status === 'ok', 20_000);
    expect(settled.retry_count).toBe(1);
    expect(settled.output?.result.primary_outputs).toMatchObject({ intent: 'stop', reply_sid: expect.stringMatching(/^SM/) });
    expect(textsTo(h, number).filter((b) => b.startsWith(`${PRACTICE}: you are unsubscribed`))).toHaveLength(2); // the refused try and the one sent
    expect(h.vendor.resources.filter((r) => r.kind === 'message' && r.fields['to'] === number)).toHaveLength(1);
  });

  it('a second STOP from the number, already opted out, causes no vendor send; the run ends ok with an event saying why', async () => {
    const number = '+15556660011';
    await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: number, body: 'STOP' });
    const sends = h.vendor.requests.filter((r) => r.route === 'sms').length;
    expect(textsTo(h, number)).toEqual(['Your care team: you are unsubscribed and will receive no more texts from us. Reply START to resubscribe.']);

    const sid = newMessageSid();
    const again = await textIn(h, p, { tenant: TENANT, sid, from: number, body: 'stop' });
    expect(again.status).toBe('ok');
    expect(again.output?.result.primary_outputs).toMatchObject({ intent: 'stop', consent_changed: false, reply_sid: null, reply_skipped: 'already_opted_out' });
    expect(again.output?.result.summary).toMatch(/already opted out; nothing sent/);
    expect(h.vendor.requests.filter((r) => r.route === 'sms').length).toBe(sends);
    const events = await h.db.sql<{ event_type: string; payload: Record<string, unknown> }[]>`
      select event_type, payload from events where workflow_run_id = ${again.workflow_run_id} order by occurred_at`;
    expect(events.map((e) => e.event_type)).toEqual(['sms.received', 'sms.reply_skipped']);
    expect(events[1]!.payload).toEqual({ in_reply_to: sid, reason: 'already_opted_out' });
  });
});

describe('calls say the practice name, never the tenant id', () => {
  async function greetingOf(tenant: string): Promise<string> {
    const url = `${p.url}/webhooks/twilio/${tenant}/voice`;
    const form = { CallSid: `CA${randomBytes(16).toString('hex')}`, AccountSid: 'AC_test', From: '+15556660020', To: '+15550000003', CallStatus: 'ringing', Direction: 'inbound' };
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, form) },
      body: new URLSearchParams(form).toString(),
    });
    expect(res.status).toBe(200);
    const says = [...(await res.text()).matchAll(/<Say>([^<]*)<\/Say>/g)].map((m) => m[1]!);
    return says[0]!;
  }

  it('greets with practice_name', async () => {
    expect(await greetingOf(NAMED)).toBe(`Thank you for calling ${PRACTICE}. You can book an appointment, or ask for the front desk. How can I help you?`);
  });

  it('greets neutrally without one', async () => {
    const said = await greetingOf(TENANT);
    expect(said).toBe('Thank you for calling. You can book an appointment, or ask for the front desk. How can I help you?');
    expect(said).not.toContain(TENANT);
  });
});

describe('what was stored', () => {
  it('every output passes the contract, and no log line carries a number', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
    const logs = JSON.stringify(h.logLines) + p.logText.join('');
    expect(logs).not.toContain('5556660011');
  });
});
