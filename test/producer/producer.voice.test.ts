/**
 * A live call through correctly signed Twilio voice webhooks, against the stand-in PMS and SMS
 * provider: the greeting, WF17 turns answered with TwiML by request–reply, booking once (even when
 * Twilio delivers the "yes" twice), the WF71 fallback when the PMS hangs past the deadline or a turn
 * fails, and a re-prompt on low confidence.
 */
import { setConsent, upsertTenant } from '@revos/db';
import { twilioSignature } from '@revos/producer';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidStoredOutputs, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from './helpers.js';

const TWILIO_TOKEN = 'test-twilio-token';
const CALLER = '+15551239876';
const PATIENT = 'p_voice_caller';
const FRONT_DESK = TENANT_CONFIG.front_desk_phone;
/**
 * The main tenant's voice budget is generous, so a turn that should be answered is answered even on a
 * loaded 2-core machine; the deadline cases use a tenant with a short one.
 */
const ROOMY_BUDGET_MS = 20_000;
const QUICK = 't_quick_voice';
const QUICK_BUDGET_MS = 1_000;
const SPEECH = 'book an appointment tomorrow at 3 pm';

let h: Harness;
let p: TestProducer;
beforeAll(async () => {
  h = await startHarness({ immediateDispatch: true });
  p = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN });
  h.vendor.addPatient(CALLER, PATIENT);
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: PATIENT, channel: 'sms', status: 'allow', source: 'test' });
  await upsertTenant(h.db.sql, { tenantId: TENANT, name: 'Test Practice', config: { ...TENANT_CONFIG, voice_budget_ms: ROOMY_BUDGET_MS } });
  await upsertTenant(h.db.sql, { tenantId: QUICK, name: 'Quick voice', config: { ...TENANT_CONFIG, voice_budget_ms: QUICK_BUDGET_MS } });
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

const newCallSid = () => `CA${randomBytes(16).toString('hex')}`;
const voicePath = (tenant = TENANT) => `/webhooks/twilio/${tenant}/voice`;

/** One signed webhook request, as Twilio sends it (the signature covers the URL with its query). */
async function post(pathAndQuery: string, form: Record<string, string>): Promise<{ status: number; twiml: string; headers: Headers }> {
  const url = `${p.url}${pathAndQuery}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, form) },
    body: new URLSearchParams(form).toString(),
  });
  return { status: res.status, twiml: await res.text(), headers: res.headers };
}

const callForm = (callSid: string) => ({ CallSid: callSid, AccountSid: 'AC_test', From: CALLER, To: '+15550000003', CallStatus: 'in-progress', Direction: 'inbound' });
const answer = (callSid: string, speech: string, confidence = '0.93') => ({ ...callForm(callSid), SpeechResult: speech, Confidence: confidence });
/** The Gather's action in a TwiML answer: where Twilio posts the caller's next words. */
const actionOf = (twiml: string) => /<Gather [^>]*action="([^"]+)"/.exec(twiml)?.[1]?.replace(/&amp;/g, '&');

const runsOf = (workflow: string) =>
  h.db.sql<{ workflow_run_id: string; status: string; latency_breach: boolean; parent_run_id: string | null; envelope: { payload: Record<string, unknown> } }[]>`
    select workflow_run_id, status, latency_breach, parent_run_id, envelope from workflow_runs where workflow_name = ${workflow} order by accepted_at`;

async function waitFor<T>(what: string, read: () => Promise<T>, done: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const value = await read();
    if (done(value)) return value;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('voice webhook: a call that works', () => {
  it('greets a new call with a speech Gather whose action is this webhook, without starting a run', async () => {
    const res = await post(voicePath(), callForm(newCallSid()));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/xml');
    expect(res.twiml).toMatch(/^<\?xml version="1.0" encoding="UTF-8"\?><Response><Gather input="speech" action="\/webhooks\/twilio\/t_test_practice\/voice\?turn=1" method="POST"[^>]*><Say>Thank you for calling\./);
    // If the caller says nothing, the call goes to the front desk instead of ending in silence.
    expect(res.twiml).toContain(`<Dial>${FRONT_DESK}</Dial>`);
    expect(await runsOf('WF17_RealTime_Voice_Orchestrator')).toEqual([]);
  });

  it('books by voice in three turns: greeting → "book … tomorrow at 3 pm" → an offer → "yes" → booked once, one SMS', async () => {
    const callSid = newCallSid();
    const greeting = await post(voicePath(), callForm(callSid));
    const offer = await post(actionOf(greeting.twiml)!, answer(callSid, SPEECH));
    expect(offer.status).toBe(200);
    expect(offer.headers.get('x-revos-reply')).toBe('answered');
    expect(offer.headers.get('x-revos-status')).toBe('queued');
    // At most two slots, said in the practice's zone, inside the next Gather (turn 2).
    expect(offer.twiml).toMatch(/<Gather input="speech" action="\/webhooks\/twilio\/t_test_practice\/voice\?turn=2"[^>]*><Say>I have \w+, \w+ \d+ at 3:00 PM, or \w+, \w+ \d+ at \d+:\d\d PM\. Say yes for the first, or say the second one\.<\/Say><\/Gather>/);
    // The PMS was asked for free slots near tomorrow 3 pm New York time.
    const [search] = h.vendor.requests.filter((r) => r.route === 'free_slots');
    expect(search?.query).toMatchObject({ practice_id: 'prac_test', limit: '2' });
    expect(new Date(search!.query['near']!).getUTCHours()).toBe(20); // 15:00 EST

    const booked = await post(actionOf(offer.twiml)!, answer(callSid, 'Yes, please.'));
    expect(booked.headers.get('x-revos-reply')).toBe('answered');
    expect(booked.twiml).toMatch(/<Response><Say>You are booked for \w+, \w+ \d+ at 3:00 PM\. We will text you a confirmation\. Goodbye\.<\/Say><Hangup\/><\/Response>$/);
    const appointments = h.vendor.requests.filter((r) => r.route === 'appointments');
    expect(appointments).toHaveLength(1);
    expect(appointments[0]?.json).toMatchObject({ practice_id: 'prac_test', patient_id: PATIENT, slot_start: search ? expect.stringContaining('T20:00:00') : undefined });

    // The confirmation text follows as WF17's next action, to the caller, once.
    await waitFor('the confirmation text', async () => h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.To === CALLER), (r) => r.length >= 1);
    const wf30 = await waitFor('WF30 to finish', () => runsOf('WF30_Send_SMS'), (r) => r.some((x) => x.status === 'ok'));
    expect(wf30.filter((r) => r.status === 'ok')).toHaveLength(1);
    expect(h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.To === CALLER)).toHaveLength(1);

    // The call's state is kept by CallSid, one row per turn, without the caller's words.
    const turns = await h.db.sql<{ turn: number; intent: string; state: Record<string, unknown> }[]>`
      select turn, intent, state from voice_call_turns where call_sid = ${callSid} order by turn`;
    expect(turns.map((t) => [t.turn, t.intent, t.state.stage])).toEqual([[1, 'book', 'offered'], [2, 'yes', 'booked']]);
    expect(JSON.stringify(turns)).not.toContain('appointment tomorrow');
  });

  it('books once when Twilio delivers the "yes" webhook twice, and answers both alike', async () => {
    const before = h.vendor.countFor('appointments');
    const smsBefore = h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.To === CALLER).length;
    const callSid = newCallSid();
    const offer = await post(`${voicePath()}?turn=1`, answer(callSid, 'I need an appointment next Monday at 10 am'));
    expect(offer.headers.get('x-revos-reply')).toBe('answered');
    const yes = answer(callSid, 'yes');
    const [first, second] = await Promise.all([post(actionOf(offer.twiml)!, yes), post(actionOf(offer.twiml)!, yes)]);
    const third = await post(actionOf(offer.twiml)!, yes);
    for (const res of [first, second, third]) {
      expect(res.headers.get('x-revos-reply')).toBe('answered');
      expect(res.twiml).toContain('You are booked for');
    }
    expect([first, second, third].map((r) => r.headers.get('x-revos-run-id'))).toEqual(Array(3).fill(first.headers.get('x-revos-run-id')));
    expect([first, second, third].filter((r) => r.headers.get('x-revos-status') === 'duplicate').length).toBeGreaterThanOrEqual(2);
    expect(h.vendor.countFor('appointments')).toBe(before + 1);
    await waitFor('one more confirmation text', async () => h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.To === CALLER).length, (n) => n >= smsBefore + 1);
    const wf17 = (await runsOf('WF17_RealTime_Voice_Orchestrator')).filter((r) => r.envelope.payload.call_sid === callSid);
    expect(wf17).toHaveLength(2); // turn 1 and one turn 2, however often Twilio asked
    const children = await h.db.sql`select 1 from workflow_runs where workflow_name = 'WF30_Send_SMS' and parent_run_id = ${first.headers.get('x-revos-run-id')}`;
    expect(children).toHaveLength(1);
  });

  it('re-prompts on low confidence, without acting on the words', async () => {
    const searches = h.vendor.countFor('free_slots');
    const callSid = newCallSid();
    const res = await post(`${voicePath()}?turn=1`, answer(callSid, SPEECH, '0.21'));
    expect(res.headers.get('x-revos-reply')).toBe('answered');
    expect(res.twiml).toMatch(/<Gather input="speech" action="\/webhooks\/twilio\/t_test_practice\/voice\?turn=2"[^>]*><Say>Sorry, I did not catch that\. Could you say it again\?<\/Say><\/Gather>/);
    expect(h.vendor.countFor('free_slots')).toBe(searches);
  });

  it('transfers a caller who asks for a person with <Dial> to the front desk', async () => {
    const res = await post(`${voicePath()}?turn=1`, answer(newCallSid(), 'I would like to talk to someone'));
    expect(res.twiml).toBe(`<?xml version="1.0" encoding="UTF-8"?><Response><Say>Connecting you to the front desk.</Say><Dial>${FRONT_DESK}</Dial></Response>`);
  });

  it('a PMS that accepts the connection and never answers: the fallback TwiML at the deadline, then a breach row and a WF71 run with the CallSid', async () => {
    h.vendor.script('free_slots', [{ hang: true }]);
    const callSid = newCallSid();
    const res = await post(`${voicePath(QUICK)}?turn=1`, answer(callSid, SPEECH));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-revos-reply')).toBe('deadline');
    expect(res.twiml).toBe(
      `<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, this is taking longer than it should. Let me connect you to the front desk.</Say><Dial>${FRONT_DESK}</Dial></Response>`,
    );
    // 'deadline', not 'failed': the caller was answered before the turn ended (it was still waiting on the PMS).
    const runId = res.headers.get('x-revos-run-id')!;

    const run = await h.waitForRun(runId);
    expect(run.status).toBe('failed');
    expect(run.latency_breach).toBe(true);
    expect(run.output!.meta_out.latency_ms).toBeGreaterThan(QUICK_BUDGET_MS);
    const fallback = await waitFor('WF71 to run', () => runsOf('WF71_RealTime_Fallback'), (r) => r.some((x) => x.parent_run_id === runId && x.status === 'ok'));
    const wf71 = fallback.find((x) => x.parent_run_id === runId)!;
    expect(wf71.envelope.payload).toMatchObject({ call_sid: callSid, source_run_id: runId, budget_ms: QUICK_BUDGET_MS });
    const [event] = await h.db.sql<{ payload: Record<string, unknown> }[]>`
      select payload from events where workflow_run_id = ${wf71.workflow_run_id} and event_type = 'call.fallback_given'`;
    expect(event?.payload).toMatchObject({ call_sid: callSid });
    // No second call to the front desk: the webhook's TwiML already dialled it.
    expect(h.vendor.requests.filter((r) => r.route === 'calls')).toHaveLength(0);
  });

  it('a turn that fails fast gets the fallback at once, and WF71 runs without a breach', async () => {
    h.vendor.script('free_slots', [{ status: 400, body: { code: 'bad_request' } }]);
    const callSid = newCallSid();
    const res = await post(`${voicePath()}?turn=1`, answer(callSid, SPEECH));
    expect(res.headers.get('x-revos-reply')).toBe('failed');
    expect(res.twiml).toContain(`<Dial>${FRONT_DESK}</Dial>`);
    const runId = res.headers.get('x-revos-run-id')!;
    const run = await h.waitForRun(runId);
    expect(run.status).toBe('failed');
    expect(run.latency_breach).toBe(false);
    await waitFor('WF71 for the failed turn', () => runsOf('WF71_RealTime_Fallback'), (r) => r.some((x) => x.parent_run_id === runId && x.envelope.payload.call_sid === callSid));
  });

  it('answers by the deadline even when intake is stuck; the turn runs once intake gets through, late and breached', async () => {
    const callSid = newCallSid();
    // Another session holds accepted_runs: intake's insert waits behind it, as behind a stalled database.
    const blocker = await h.db.sql.reserve();
    let res: Awaited<ReturnType<typeof post>>;
    try {
      await blocker`begin`;
      await blocker`lock table accepted_runs in access exclusive mode`;
      res = await post(`${voicePath(QUICK)}?turn=1`, answer(callSid, 'I would like to talk to someone'));
      // Hold on a budget longer: the request arrived before its answer, so the run, which cannot start
      // before the lock goes, ends more than a budget after its arrival.
      const answeredAt = Date.now();
      while (Date.now() < answeredAt + QUICK_BUDGET_MS + 100) await new Promise((r) => setTimeout(r, 20));
    } finally {
      await blocker`commit`;
      blocker.release();
    }
    expect(res.headers.get('x-revos-reply')).toBe('intake_deadline');
    expect(res.twiml).toContain(`<Dial>${FRONT_DESK}</Dial>`);
    const late = await waitFor(
      'the late turn',
      () => h.db.sql<{ status: string; latency_breach: boolean }[]>`select status, latency_breach from workflow_runs where trigger_id = ${`${callSid}:1`}`,
      (rows) => rows.length === 1 && rows[0]!.status === 'ok',
    );
    expect(late[0]!.latency_breach).toBe(true);
  });

  it('hands the caller to the front desk when intake fails outright', async () => {
    // A database that refuses the write (here: a trigger raising for one tenant) is an intake error, not a 500 to Twilio.
    await upsertTenant(h.db.sql, { tenantId: 't_broken_intake', name: 'Broken intake', config: TENANT_CONFIG });
    await h.db.sql.unsafe(`
      create function refuse_broken_intake() returns trigger language plpgsql as $$
      begin if new.tenant_id = 't_broken_intake' then raise exception 'intake refused'; end if; return new; end $$;
      create trigger refuse_broken_intake before insert on accepted_runs for each row execute function refuse_broken_intake();`);
    const res = await post(`${voicePath('t_broken_intake')}?turn=1`, answer(newCallSid(), 'I would like to talk to someone'));
    expect(res.status).toBe(200);
    expect(res.headers.get('x-revos-reply')).toBe('intake_failed');
    expect(res.twiml).toContain(`<Dial>${FRONT_DESK}</Dial>`);
  });

  it('answers 400 naming the field for a bad turn or Confidence, and 403 for a bad signature', async () => {
    const callSid = newCallSid();
    const badTurn = await post(`${voicePath()}?turn=zero`, answer(callSid, 'yes'));
    expect(badTurn.status).toBe(400);
    expect(JSON.parse(badTurn.twiml)).toMatchObject({ error: 'invalid_body', issues: [{ path: 'turn' }] });
    const badConfidence = await post(`${voicePath()}?turn=1`, answer(callSid, 'yes', 'very'));
    expect(badConfidence.status).toBe(400);
    expect(JSON.parse(badConfidence.twiml)).toMatchObject({ error: 'invalid_body', issues: [{ path: 'Confidence' }] });
    const unsigned = await fetch(`${p.url}${voicePath()}?turn=1`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(answer(callSid, 'yes')).toString() });
    expect(unsigned.status).toBe(403);
  });

  it('never logs what the caller said or their number, and stores only contract-valid outputs', async () => {
    const logs = [...p.logText, ...h.logLines.map((l) => JSON.stringify(l))].join('\n');
    expect(logs).not.toContain('appointment tomorrow');
    expect(logs).not.toContain('talk to someone');
    expect(logs).not.toContain(CALLER.slice(2));
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
