import { defineWorkflow } from '@revos/runtime';
import { signGeneric, twilioSignature } from '@revos/producer';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { invalidStoredOutputs, startHarness, TENANT, type Harness } from '../support/harness.js';
import { queuedJobCount, rowCounts, startTestProducer, type TestProducer } from './helpers.js';

/**
 * Stands in for WF31_Inbound_SMS (same payload contract) so this suite pins the webhook, not the
 * workflow's evolving logic: records the inbound text as one event, keyed by MessageSid.
 */
const inboundSms = defineWorkflow({
  name: 'WF93_Test_Inbound_SMS',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'sms',
  payload: z.object({ message_sid: z.string().min(1), from: z.string().min(1), to: z.string().min(1), body: z.string() }).strict(),
  async run(ctx) {
    const sid = ctx.payload.message_sid;
    await ctx.effect(
      'event.inbound',
      { service: 'revos', endpoint: 'events.log', eventType: 'sms.received', direction: 'inbound', eventPayload: () => ({ message_sid: sid }) },
      async () => ({ received: true }),
    );
    return { summary: 'inbound sms recorded', primary_outputs: { message_sid: sid }, phi_touched: false };
  },
});

const TWILIO_TOKEN = 'test-twilio-token';
const SECRET = 'test-webhook-secret';
const TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

let h: Harness;
let p: TestProducer;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [inboundSms] });
  p = await startTestProducer(
    h,
    { TWILIO_AUTH_TOKEN: TWILIO_TOKEN, WEBHOOK_SIGNING_SECRET: SECRET, TWILIO_SMS_WORKFLOW: 'WF93_Test_Inbound_SMS', ENVIRONMENT: 'prod' },
    [inboundSms],
  );
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

const smsPath = (tenant = TENANT) => `/webhooks/twilio/${tenant}/sms`;
const messageSid = () => `SM${ulid().toLowerCase()}`;
const smsForm = (sid: string) => ({ MessageSid: sid, AccountSid: 'AC_test', From: '+15551230009', To: '+15550000001', Body: 'Please call me about my results', NumMedia: '0' });

interface TwilioPostOptions {
  /** Override the signature header; null sends none. */
  signature?: string | null;
  token?: string;
  /** The URL the signature is computed over (defaults to the one requested). */
  signedUrl?: string;
  /** Send this form instead of the one signed. */
  sendForm?: Record<string, string>;
  base?: string;
}

function twilioPost(path: string, form: Record<string, string>, o: TwilioPostOptions = {}): Promise<Response> {
  const url = `${o.base ?? p.url}${path}`;
  const signature = o.signature === undefined ? twilioSignature(o.token ?? TWILIO_TOKEN, o.signedUrl ?? url, form) : o.signature;
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...(signature ? { 'x-twilio-signature': signature } : {}) },
    body: new URLSearchParams(o.sendForm ?? form).toString(),
  });
}

function genericPost(path: string, body: unknown, o: { timestamp?: number; secret?: string; signature?: string | null; sendBody?: string } = {}): Promise<Response> {
  const raw = JSON.stringify(body);
  const ts = o.timestamp ?? Math.floor(Date.now() / 1000);
  const signature = o.signature === undefined ? signGeneric(o.secret ?? SECRET, ts, path, raw) : o.signature;
  return fetch(`${p.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-revos-timestamp': String(ts), ...(signature ? { 'x-revos-signature': signature } : {}) },
    body: o.sendBody ?? raw,
  });
}

const logBody = () => ({ trigger_id: `crm:lead:${ulid()}`, payload: { event_type: 'lead.created', direction: 'inbound', attributes: { source: 'crm' } } });

describe('webhooks: refused requests leave no trace', () => {
  // First in the file, so "nothing recorded, nothing enqueued" is checked against empty tables and queues.
  it('answers 403 to a forged, missing or replayed-with-other-params Twilio signature', async () => {
    const form = smsForm(messageSid());
    const forged = await twilioPost(smsPath(), form, { token: 'not-the-token' });
    const missing = await twilioPost(smsPath(), form, { signature: null });
    const tampered = await twilioPost(smsPath(), form, { sendForm: { ...form, Body: 'something else' } });
    const otherUrl = await twilioPost(smsPath(), form, { signedUrl: `${p.url}/webhooks/twilio/${TENANT}/voice` });
    for (const res of [forged, missing, tampered, otherUrl]) {
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'invalid_signature' });
    }
  });

  it('does not reveal whether a tenant exists without a valid signature', async () => {
    const unsigned = await twilioPost(smsPath('t_no_such_practice'), smsForm(messageSid()), { signature: 'AAAA' });
    expect(unsigned.status).toBe(403);
    const signed = await twilioPost(smsPath('t_no_such_practice'), smsForm(messageSid()));
    expect(signed.status).toBe(404);
    expect(await signed.json()).toEqual({ error: 'unknown_tenant' });
  });

  it('answers 403 to a generic webhook with a stale or future timestamp, a bad or missing signature, or a changed body', async () => {
    const path = `/webhooks/generic/${TENANT}/WF11_Log_Event`;
    const now = Math.floor(Date.now() / 1000);
    const body = logBody();
    const answers = await Promise.all([
      genericPost(path, body, { timestamp: now - 330 }), // tolerance 300 s; the margin absorbs a clock tick mid-test
      genericPost(path, body, { timestamp: now + 330 }),
      genericPost(path, body, { secret: 'wrong-secret' }),
      genericPost(path, body, { signature: null }),
      genericPost(path, body, { signature: 'v1=' + '0'.repeat(64) }),
      genericPost(path, body, { sendBody: JSON.stringify({ ...body, trigger_id: 'crm:lead:other' }) }),
      // Same JSON, other bytes: the signature covers the raw body, not a re-serialisation.
      genericPost(path, body, { sendBody: JSON.stringify(body, null, 1) }),
    ]);
    for (const res of answers) {
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'invalid_signature' });
    }
  });

  it('recorded nothing and enqueued nothing for any of them', async () => {
    expect(await rowCounts(h)).toEqual({ accepted: 0, runs: 0 });
    expect(await queuedJobCount(h)).toBe(0);
  });
});

describe('webhooks: accepted deliveries', () => {
  it('turns the same Twilio SMS webhook delivered 10 times at once into one run and one event', async () => {
    const sid = messageSid();
    const form = smsForm(sid);
    const answers = await Promise.all(Array.from({ length: 10 }, () => twilioPost(smsPath(), form)));
    for (const res of answers) {
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
      expect(await res.text()).toBe(TWIML);
    }
    const statuses = answers.map((r) => r.headers.get('x-revos-status'));
    expect(statuses.filter((s) => s === 'queued')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'duplicate')).toHaveLength(9);
    const runIds = new Set(answers.map((r) => r.headers.get('x-revos-run-id')));
    expect(runIds.size).toBe(1);
    const runId = [...runIds][0]!;
    expect(runId).toMatch(/^wr_/);

    const run = await h.waitForRun(runId);
    expect(run.status).toBe('ok');
    const runs = await h.db.sql`
      select workflow_run_id, workflow_name, trigger_source, run_envelope(workflow_runs)->'meta'->>'trigger_id' as trigger_id,
             run_envelope(workflow_runs)->'meta'->>'environment' as environment, envelope->'payload' as payload
        from workflow_runs where workflow_name = 'WF93_Test_Inbound_SMS' and run_envelope(workflow_runs)->'meta'->>'trigger_id' = ${sid}`;
    expect(runs).toEqual([
      {
        workflow_run_id: runId,
        workflow_name: 'WF93_Test_Inbound_SMS',
        trigger_source: 'sms',
        trigger_id: sid,
        environment: 'prod',
        payload: { message_sid: sid, from: '+15551230009', to: '+15550000001', body: 'Please call me about my results' },
      },
    ]);
    const events = await h.db.sql`select event_type, direction from events where workflow_run_id = ${runId}`;
    expect(events).toEqual([{ event_type: 'sms.received', direction: 'inbound' }]);
    const [accepted] = await h.db.sql`select source from accepted_runs where workflow_run_id = ${runId}`;
    expect(accepted?.source).toBe('webhook');
  });

  it('greets a Twilio call with TwiML and records nothing until the caller answers (the turns: producer.voice.test.ts)', async () => {
    const callSid = `CA${'0123456789abcdef'.repeat(2)}`;
    const form = { CallSid: callSid, AccountSid: 'AC_test', From: '+15551230009', To: '+15550000003', CallStatus: 'ringing' };
    const before = await rowCounts(h);
    const first = await twilioPost(`/webhooks/twilio/${TENANT}/voice`, form);
    expect(first.status).toBe(200);
    expect(first.headers.get('x-revos-reply')).toBe('greeting');
    expect(await first.text()).toContain(`<Gather input="speech" action="/webhooks/twilio/${TENANT}/voice?turn=1"`);
    expect(await rowCounts(h)).toEqual(before);
  });

  it('answers 400 to a signed Twilio webhook without MessageSid or CallSid', async () => {
    const sms = await twilioPost(smsPath(), { From: '+15551230009', To: '+15550000001', Body: 'hi' });
    expect(sms.status).toBe(400);
    expect(await sms.json()).toMatchObject({ error: 'invalid_body', issues: [{ path: 'MessageSid', rule: 'required' }] });
    const voice = await twilioPost(`/webhooks/twilio/${TENANT}/voice`, { From: '+15551230009' });
    expect(voice.status).toBe(400);
    expect(await voice.json()).toMatchObject({ error: 'invalid_body', issues: [{ path: 'CallSid', rule: 'required' }] });
  });

  it('queues a valid generic webhook, and answers its redelivery as a duplicate', async () => {
    const body = logBody();
    const path = `/webhooks/generic/${TENANT}/WF11_Log_Event`;
    const first = await genericPost(path, body);
    expect(first.status).toBe(202);
    const queued = (await first.json()) as { status: string; workflow_run_id: string; idempotency_key: string };
    expect(queued.status).toBe('queued');
    expect(queued.idempotency_key).toContain(`:WF11_Log_Event:${body.trigger_id}:`);
    expect((await h.waitForRun(queued.workflow_run_id)).status).toBe('ok');
    const [row] = await h.db.sql`select trigger_source from workflow_runs where workflow_run_id = ${queued.workflow_run_id}`;
    expect(row?.trigger_source).toBe('webhook');

    // A redelivery is signed anew (fresh timestamp) but carries the same body.
    const again = await genericPost(path, body);
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ status: 'duplicate', workflow_run_id: queued.workflow_run_id });
  });

  it('answers a signed generic webhook with 404 for an unknown workflow or tenant and 400 listing every bad field', async () => {
    expect((await genericPost(`/webhooks/generic/${TENANT}/WF99_Not_Registered`, logBody())).status).toBe(404);
    expect((await genericPost(`/webhooks/generic/t_no_such_practice/WF11_Log_Event`, logBody())).status).toBe(404);
    const bad = await genericPost(`/webhooks/generic/${TENANT}/WF11_Log_Event`, { payload: [], privacy_mode: 'loose', extra: 1 });
    expect(bad.status).toBe(400);
    const json = (await bad.json()) as { error: string; issues: { path: string; rule: string }[] };
    expect(json.error).toBe('invalid_body');
    expect(json.issues.map((i) => `${i.path} ${i.rule}`)).toEqual(
      expect.arrayContaining(['trigger_id required', 'payload type:object', 'privacy_mode invalid_enum', 'extra unknown_key']),
    );
  });

  it('rebuilds the signed URL from PUBLIC_BASE_URL behind a proxy', async () => {
    const proxied = await startTestProducer(
      h,
      { TWILIO_AUTH_TOKEN: TWILIO_TOKEN, TWILIO_SMS_WORKFLOW: 'WF93_Test_Inbound_SMS', PUBLIC_BASE_URL: 'https://hooks.example.com/' },
      [inboundSms],
    );
    try {
      const form = smsForm(messageSid());
      const asSeenByTwilio = `https://hooks.example.com${smsPath()}?attempt=1`;
      const ok = await twilioPost(`${smsPath()}?attempt=1`, form, { base: proxied.url, signedUrl: asSeenByTwilio });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-revos-status')).toBe('queued');
      await h.waitForRun(ok.headers.get('x-revos-run-id')!);
      const local = await twilioPost(smsPath(), smsForm(messageSid()), { base: proxied.url });
      expect(local.status).toBe(403);
    } finally {
      await proxied.close();
    }
  });

  it('never logs message text or phone numbers, and stored only valid outputs', async () => {
    const logs = p.logText.join('');
    expect(logs).toContain('run accepted');
    expect(logs).not.toContain('Please call me');
    expect(logs).not.toContain('+15551230009');
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
