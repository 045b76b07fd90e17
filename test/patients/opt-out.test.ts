import { upsertTenant } from '@revos/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, invalidStoredOutputs, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import type { TestProducer } from '../producer/helpers.js';
import { newMessageSid, startPatientsProducer, textIn, textOut, textsTo } from './helpers.js';

/**
 * Opt-out by number, as carriers require: a STOP from a number denies texts to it for every subject
 * of the tenant, through the real webhook, WF31, the consent gate and WF30.
 */
const SHARED = '+15557770001'; // Ann and Ben, one household phone
const STRANGER = '+15557770002'; // no patient we know
const CARRIER_BLOCKED = '+15557770003';
const HELP_TEXT = 'Test Practice: reminders for your visits. Call +15550000004 for help. Reply STOP to end.';

let h: Harness;
let p: TestProducer;
beforeAll(async () => {
  h = await startHarness();
  await upsertTenant(h.db.sql, { tenantId: TENANT, name: 'Test Practice', config: { ...TENANT_CONFIG, sms_help_text: HELP_TEXT } });
  for (const patient of ['p_ann', 'p_ben', 'p_cat', 'p_dan']) await allowSms(h.db, patient);
  p = await startPatientsProducer(h);
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

async function addressStatus(address: string): Promise<{ status: string; source: string | null } | undefined> {
  const [row] = await h.db.sql<{ status: string; source: string | null }[]>`
    select status, source from address_consents where tenant_id = ${TENANT} and address = ${address} and channel = 'sms'`;
  return row;
}

describe('STOP from a known number', () => {
  const stopSid = newMessageSid();

  it('before: texts to the shared number go out', async () => {
    expect((await textOut(h, { to: SHARED, patientId: 'p_ann' })).status).toBe('ok');
  });

  it('" Stop " opts the number out and confirms once, attributed to the patient the number belongs to', async () => {
    const run = await textIn(h, p, { tenant: TENANT, sid: stopSid, from: SHARED, body: ' Stop ' });
    expect(run.status).toBe('ok');
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'stop', consent_changed: true });
    expect(await addressStatus(SHARED)).toEqual({ status: 'deny', source: 'sms_keyword' });
    const replies = textsTo(h, SHARED).filter((b) => b.includes('unsubscribed'));
    expect(replies).toHaveLength(1);
    expect(replies[0]).not.toMatch(/offer|sale|discount/i);
    // The inbound run is about the patient last texted at that number.
    const [stored] = await h.db.sql<{ subject: Record<string, string> }[]>`
      select envelope->'subject' as subject from workflow_runs where workflow_run_id = ${run.workflow_run_id}`;
    expect(stored?.subject).toEqual({ patient_id: 'p_ann' });
  });

  it('a Twilio retry of the same MessageSid changes nothing and sends no second confirmation', async () => {
    const again = await textIn(h, p, { tenant: TENANT, sid: stopSid, from: SHARED, body: ' Stop ' });
    expect(again.status).toBe('ok'); // the first run, answered as a duplicate by the webhook
    expect(textsTo(h, SHARED).filter((b) => b.includes('unsubscribed'))).toHaveLength(1);
  });

  it('blocks the next texts to that number for both patients sharing it, with no vendor call', async () => {
    const sentBefore = textsTo(h, SHARED).length;
    for (const patient of ['p_ann', 'p_ben']) {
      const run = await textOut(h, { to: SHARED, patientId: patient, template: 'appointment_reminder' });
      expect(run.status).toBe('blocked');
      expect(run.failure_code).toBe('consent_denied');
      expect(run.output?.meta_out.failure_reason).toMatch(/destination number opted out/);
      expect(run.output?.audit).toMatchObject({ consent_checked: true, consent_result: 'deny', external_calls: [] });
    }
    expect(textsTo(h, SHARED)).toHaveLength(sentBefore);
  });

  it('records the change as an event naming the number by token only', async () => {
    const events = await h.db.sql<{ payload: Record<string, unknown>; subject: Record<string, unknown>; workflow_run_id: string | null }[]>`
      select payload, subject, workflow_run_id from events where event_type = 'consent.address_changed' order by occurred_at`;
    expect(events).toHaveLength(1);
    expect(events[0]!.payload).toMatchObject({ target: 'address', channel: 'sms', status: 'deny', source: 'sms_keyword', evidence_ref: stopSid, actor: 'patient' });
    expect(String(events[0]!.payload['address_ref'])).toMatch(/^tok_phone_[0-9a-f]{24}$/);
    expect(JSON.stringify(events)).not.toContain('7770001');
    expect(events[0]!.workflow_run_id).toMatch(/^wr_/);
  });

  it.each(['STOP', 'stopall.', 'UNSUBSCRIBE', 'cancel', 'End', 'QUIT!', 'revoke', 'OPTOUT', 'please stop texting me', 'Opt me out'])(
    'reads %j as an opt-out too',
    async (body) => {
      const number = `+1555888${String(Math.floor(Math.random() * 9000) + 1000)}`;
      const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: number, body });
      expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'stop' });
      expect((await addressStatus(number))?.status).toBe('deny');
    },
  );

  it('START re-allows the number and confirms; the next text goes out again', async () => {
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: SHARED, body: 'start' });
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'start', consent_changed: true });
    expect(await addressStatus(SHARED)).toEqual({ status: 'allow', source: 'sms_keyword' });
    expect(textsTo(h, SHARED).filter((b) => b.includes('subscribed to texts again'))).toHaveLength(1);
    expect((await textOut(h, { to: SHARED, patientId: 'p_ben' })).status).toBe('ok');
  });

  it('a bare YES from an opted-out number re-allows it (UNSTOP too)', async () => {
    await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: SHARED, body: 'STOP' });
    expect((await addressStatus(SHARED))?.status).toBe('deny');
    const yes = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: SHARED, body: 'Yes' });
    expect(yes.output?.result.primary_outputs).toMatchObject({ intent: 'start' });
    expect((await addressStatus(SHARED))?.status).toBe('allow');
    await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: SHARED, body: 'stop' });
    await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: SHARED, body: 'UNSTOP' });
    expect((await addressStatus(SHARED))?.status).toBe('allow');
  });
});

describe('a number that belongs to no known patient', () => {
  it('STOP opts it out and confirms; the run has no subject', async () => {
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: STRANGER, body: 'STOP' });
    expect(run.status).toBe('ok');
    expect((await addressStatus(STRANGER))?.status).toBe('deny');
    expect(textsTo(h, STRANGER).filter((b) => b.includes('unsubscribed'))).toHaveLength(1);
    const [stored] = await h.db.sql<{ subject: Record<string, string> }[]>`
      select envelope->'subject' as subject from workflow_runs where workflow_run_id = ${run.workflow_run_id}`;
    expect(stored?.subject).toEqual({});
    // A patient later registered at that number is still blocked by the number's opt-out.
    const blocked = await textOut(h, { to: STRANGER, patientId: 'p_dan' });
    expect(blocked.status).toBe('blocked');
  });

  it('HELP and INFO answer with the tenant help text and change no consent', async () => {
    const number = '+15557770009';
    for (const body of ['HELP', ' info? ']) {
      const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: number, body });
      expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'help' });
    }
    expect(textsTo(h, number)).toEqual([HELP_TEXT, HELP_TEXT]);
    expect(await addressStatus(number)).toBeUndefined();
  });
});

describe("Twilio's own opt-out (21610)", () => {
  it('when Twilio already blocks our sender for the number, STOP is recorded and the run ends ok without a confirmation', async () => {
    const number = '+15557770004';
    h.vendor.unsubscribe(number);
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: number, body: 'STOP' });
    expect(run.status).toBe('ok');
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'stop', reply_sid: null });
    expect((await addressStatus(number))?.status).toBe('deny');
  });

  it('records the opt-out and ends the run blocked/consent_denied; the next send makes no vendor call', async () => {
    h.vendor.unsubscribe(CARRIER_BLOCKED);
    const run = await textOut(h, { to: CARRIER_BLOCKED, patientId: 'p_cat' });
    expect(run.status).toBe('blocked');
    expect(run.failure_code).toBe('consent_denied');
    expect(await addressStatus(CARRIER_BLOCKED)).toEqual({ status: 'deny', source: 'twilio_21610' });
    const [tasks] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from tasks where workflow_run_id = ${run.workflow_run_id}`;
    expect(tasks?.n).toBe(0); // a patient opting out is not staff work
    const attempts = textsTo(h, CARRIER_BLOCKED).length;
    const next = await textOut(h, { to: CARRIER_BLOCKED, patientId: 'p_dan' });
    expect(next.status).toBe('blocked');
    expect(textsTo(h, CARRIER_BLOCKED)).toHaveLength(attempts);
  });
});

describe('what was stored', () => {
  it('every output passes the contract and no log line carries a number or a message', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
    const logs = JSON.stringify(h.logLines) + p.logText.join('');
    for (const secret of ['7770001', '7770002', '7770003', 'please stop texting me', HELP_TEXT]) expect(logs).not.toContain(secret);
  });
});
