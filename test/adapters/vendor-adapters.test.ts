/**
 * Vendor adapters against a real local HTTP stand-in: success shapes, what the vendor receives, and the
 * classification of every failure into a WorkflowError code — with no PHI in any error.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { WorkflowError } from '@revos/envelope';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  ACCEPTED_UNREAD,
  DEFAULT_MAX_RESPONSE_BYTES,
  MAX_RETRY_AFTER_MS,
  createHttpPmsAdapter,
  createTwilioSmsProvider,
  createTwilioVoiceProvider,
  type PmsAdapter,
  type SmsProvider,
  type VoiceProvider,
} from '@revos/workflows';
import { lateAnswer, MISBEHAVIOUR, startVendorStandin, type VendorStandin } from '../support/vendor-standin.js';

const ACCOUNT_SID = `AC${'0123456789abcdef'.repeat(2)}`;
const AUTH_TOKEN = 'test-auth-token';
const API_KEY = 'pms-test-key';
/** Distinctive PHI stand-ins: must never show up in an error's message, details or stack. */
const PATIENT_PHONE = '+15557654321';
const CANARY = 'CANARY-phi-7f3a9c';
const MESSAGE = { to: PATIENT_PHONE, from: '+15550001111', body: `Your appointment is tomorrow ${CANARY}` };

let standin: VendorStandin;
let sms: SmsProvider;
let voice: VoiceProvider;
let pms: PmsAdapter;

function twilioOptions(timeoutMs = 2_000) {
  return { baseUrl: standin.url, accountSid: ACCOUNT_SID, authToken: AUTH_TOKEN, timeoutMs };
}

beforeEach(async () => {
  standin = await startVendorStandin();
  sms = createTwilioSmsProvider(twilioOptions());
  voice = createTwilioVoiceProvider(twilioOptions());
  pms = createHttpPmsAdapter({ baseUrl: `${standin.url}/pms`, apiKey: API_KEY, timeoutMs: 2_000 });
});

afterEach(async () => {
  await standin.close();
});

/** The WorkflowError a promise rejects with (fails the test if it resolves or rejects otherwise). */
async function failure(promise: Promise<unknown>): Promise<WorkflowError> {
  try {
    await promise;
  } catch (err) {
    expect(err).toBeInstanceOf(WorkflowError);
    return err as WorkflowError;
  }
  throw new Error('expected the call to fail');
}

/** Everything about an error a logger might print. */
function printable(err: WorkflowError): string {
  return JSON.stringify({ message: err.message, details: err.details, stack: err.stack, code: err.code });
}

describe('twilio sms', () => {
  it('returns the sid and status of the created message', async () => {
    const result = await sms.sendMessage(MESSAGE);
    expect(result.sid).toMatch(/^SM[0-9a-f]{32}$/);
    expect(result.status).toBe('queued');
    expect(result.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('posts the form fields with basic auth to the account Messages resource', async () => {
    await sms.sendMessage(MESSAGE, { idempotencyToken: 'tok_123' });
    expect(standin.countFor('sms')).toBe(1);
    const [request] = standin.requests;
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json`);
    expect(request?.form).toEqual({ To: MESSAGE.to, From: MESSAGE.from, Body: MESSAGE.body });
    expect(request?.headers['authorization']).toBe(
      `Basic ${Buffer.from(`${ACCOUNT_SID}:${AUTH_TOKEN}`).toString('base64')}`,
    );
    expect(request?.headers['i-twilio-idempotency-token']).toBe('tok_123');
  });

  it('sends no idempotency header when no token is given', async () => {
    await sms.sendMessage(MESSAGE);
    expect(standin.requests[0]?.headers['i-twilio-idempotency-token']).toBeUndefined();
  });

  it('rejects empty credentials at construction with config_missing naming the option', () => {
    let caught: unknown;
    try {
      createTwilioSmsProvider({ ...twilioOptions(), authToken: '' });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WorkflowError);
    expect((caught as WorkflowError).code).toBe('config_missing');
    expect((caught as WorkflowError).details).toMatchObject({ missing: ['authToken'] });
  });
});

describe('twilio voice', () => {
  it('creates a call with To, From and Url and returns its sid', async () => {
    const result = await voice.createCall({ to: PATIENT_PHONE, from: '+15550001111', twimlUrl: 'https://x.test/twiml' });
    expect(result.sid).toMatch(/^CA[0-9a-f]{32}$/);
    expect(result.status).toBe('queued');
    const [request] = standin.requests;
    expect(request?.route).toBe('calls');
    expect(request?.path).toBe(`/2010-04-01/Accounts/${ACCOUNT_SID}/Calls.json`);
    expect(request?.form).toEqual({ To: PATIENT_PHONE, From: '+15550001111', Url: 'https://x.test/twiml' });
  });
});

describe('pms', () => {
  it('books with a JSON body, bearer auth and the Idempotency-Key header', async () => {
    const result = await pms.bookAppointment(
      { practiceId: 'prac_1', patientId: 'pat_1', slotStart: '2030-01-07T09:00:00Z', providerId: 'prov_1' },
      { idempotencyKey: 'idem_1' },
    );
    expect(result.appointmentId).toMatch(/^apt_[0-9a-f]{16}$/);
    expect(result.status).toBe('booked');
    const [request] = standin.requests;
    expect(request?.path).toBe('/pms/appointments');
    expect(request?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
    expect(request?.headers['idempotency-key']).toBe('idem_1');
    expect(request?.json).toEqual({
      practice_id: 'prac_1',
      patient_id: 'pat_1',
      slot_start: '2030-01-07T09:00:00Z',
      provider_id: 'prov_1',
    });
  });

  it('finds slots with the window in the query string', async () => {
    const result = await pms.findSlots({ practiceId: 'prac_1', from: '2030-01-07T09:00:00Z', to: '2030-01-07T17:00:00Z' });
    expect(result.slots).toEqual([
      { start: '2030-01-07T09:00:00.000Z', providerId: 'prov_1' },
      { start: '2030-01-07T09:30:00.000Z', providerId: 'prov_2' },
      { start: '2030-01-07T10:00:00.000Z', providerId: 'prov_1' },
    ]);
    const [request] = standin.requests;
    expect(request?.method).toBe('GET');
    expect(request?.query).toEqual({ practice_id: 'prac_1', from: '2030-01-07T09:00:00Z', to: '2030-01-07T17:00:00Z' });
    expect(request?.headers['authorization']).toBe(`Bearer ${API_KEY}`);
  });

  it('treats a slot start without a UTC offset as a broken vendor (vendor_unavailable)', async () => {
    standin.script('slots', [{ status: 200, body: { slots: [{ start: '2030-01-07T09:00:00', provider_id: 'p' }] } }]);
    const err = await failure(pms.findSlots({ practiceId: 'prac_1', from: 'a', to: 'b' }));
    expect(err.code).toBe('vendor_unavailable');
    expect(err.details).toMatchObject({ service: 'pms', endpoint: 'slots.list', issues: [{ path: 'slots.0.start' }] });
  });
});

describe('pms: voice booking calls', () => {
  it('finds the free slots nearest a moment, nearest first, at most the limit, never a booked one', async () => {
    const near = '2030-01-07T15:10:00Z';
    const first = await pms.findFreeSlots({ practiceId: 'prac_1', near, limit: 2 });
    expect(first.slots).toEqual([
      { start: '2030-01-07T15:00:00.000Z', providerId: 'prov_1' },
      { start: '2030-01-07T15:30:00.000Z', providerId: 'prov_1' },
    ]);
    expect(standin.requests[0]?.query).toEqual({ practice_id: 'prac_1', near, limit: '2' });
    await pms.bookAppointment({ practiceId: 'prac_1', patientId: 'p_1', slotStart: '2030-01-07T15:00:00.000Z' });
    const after = await pms.findFreeSlots({ practiceId: 'prac_1', near, limit: 2 });
    expect(after.slots.map((s) => s.start)).toEqual(['2030-01-07T15:30:00.000Z', '2030-01-07T14:30:00.000Z']);
  });

  it('the stand-in PMS, like a real one, answers a repeated Idempotency-Key with the first booking', async () => {
    const booking = { practiceId: 'prac_1', patientId: 'p_1', slotStart: '2030-01-07T16:00:00.000Z' };
    const first = await pms.bookAppointment(booking, { idempotencyKey: 'idem-voice-1' });
    const again = await pms.bookAppointment(booking, { idempotencyKey: 'idem-voice-1' });
    const other = await pms.bookAppointment({ ...booking, slotStart: '2030-01-07T16:30:00.000Z' }, { idempotencyKey: 'idem-voice-2' });
    expect(again.appointmentId).toBe(first.appointmentId);
    expect(other.appointmentId).not.toBe(first.appointmentId);
  });

  it('holds a vendor to its limit and order even when it answers more, out of order', async () => {
    standin.script('free_slots', [{ status: 200, body: { slots: ['2030-01-07T18:00:00Z', '2030-01-07T15:00:00Z', '2030-01-07T16:00:00Z'].map((start) => ({ start, provider_id: 'prov_9' })) } }]);
    const result = await pms.findFreeSlots({ practiceId: 'prac_1', near: '2030-01-07T15:10:00Z', limit: 2 });
    expect(result.slots.map((s) => s.start)).toEqual(['2030-01-07T15:00:00Z', '2030-01-07T16:00:00Z']);
  });

  it('finds a patient by phone, and answers null for none or for more than one', async () => {
    standin.addPatient(PATIENT_PHONE, 'p_caller');
    expect((await pms.findPatientByPhone({ phone: PATIENT_PHONE })).patientId).toBe('p_caller');
    expect(standin.requests[0]?.query).toEqual({ phone: PATIENT_PHONE });
    expect((await pms.findPatientByPhone({ phone: '+15550009999' })).patientId).toBeNull();
    standin.script('patients', [{ status: 200, body: { patients: [{ patient_id: 'p_a' }, { patient_id: 'p_b' }] } }]);
    expect((await pms.findPatientByPhone({ phone: PATIENT_PHONE })).patientId).toBeNull();
  });

  it('a patient search that fails carries neither the number nor the vendor body', async () => {
    standin.script('patients', [{ status: 500, body: { message: `no patient ${PATIENT_PHONE} ${CANARY}` } }]);
    const err = await failure(pms.findPatientByPhone({ phone: PATIENT_PHONE }));
    expect(err.code).toBe('vendor_unavailable');
    expect(err.details).toMatchObject({ service: 'pms', endpoint: 'patients.search' });
    const text = printable(err);
    expect(text).not.toContain(PATIENT_PHONE.slice(1));
    expect(text).not.toContain(CANARY);
  });
});

describe('failure classification', () => {
  it('429 with Retry-After seconds is rate_limited with retryAfterMs', async () => {
    standin.script('sms', [{ status: 429, headers: { 'retry-after': '2' }, body: { code: 20429 } }]);
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.code).toBe('rate_limited');
    expect(err.retryAfterMs).toBe(2_000);
    expect(err.details).toMatchObject({ service: 'twilio', endpoint: 'messages.create', httpStatus: 429, vendorCode: 20429 });
  });

  it('429 with an HTTP-date Retry-After is rate_limited until that date', async () => {
    const at = new Date(Date.now() + 5_000).toUTCString();
    standin.script('sms', [{ status: 429, headers: { 'retry-after': at } }]);
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.code).toBe('rate_limited');
    // HTTP-dates have one-second resolution.
    expect(err.retryAfterMs).toBeGreaterThan(3_000);
    expect(err.retryAfterMs).toBeLessThanOrEqual(5_000);
  });

  it('429 without Retry-After leaves retryAfterMs unset; a huge one is capped', async () => {
    standin.script('sms', [{ status: 429 }, { status: 429, headers: { 'retry-after': '86400' } }]);
    const bare = await failure(sms.sendMessage(MESSAGE));
    expect(bare.code).toBe('rate_limited');
    expect(bare.retryAfterMs).toBeUndefined();
    const capped = await failure(sms.sendMessage(MESSAGE));
    expect(capped.retryAfterMs).toBe(MAX_RETRY_AFTER_MS);
  });

  it.each([500, 502, 503])('%i is vendor_unavailable', async (status) => {
    standin.script('sms', [{ status, body: { code: 'internal' } }]);
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.code).toBe('vendor_unavailable');
    expect(err.details).toMatchObject({ httpStatus: status });
    expect(err.outcome).toBe('unknown');
  });

  it('a vendor that never answers is a timeout after timeoutMs, promptly', async () => {
    const quick = createTwilioSmsProvider(twilioOptions(200));
    standin.script('sms', [{ hang: true }]);
    const started = performance.now();
    const err = await failure(quick.sendMessage(MESSAGE));
    const elapsed = performance.now() - started;
    expect(err.code).toBe('timeout');
    expect(err.details).toMatchObject({ abortedBy: 'timeout' });
    expect(elapsed).toBeGreaterThanOrEqual(190);
    expect(elapsed).toBeLessThan(1_500);
    expect(err.details?.['latencyMs']).toBeGreaterThanOrEqual(190);
  });

  it("the caller's abort signal ends the call; a WorkflowError reason keeps its code", async () => {
    standin.script('sms', [{ hang: true }, { hang: true }]);
    const plain = new AbortController();
    setTimeout(() => plain.abort(), 50);
    const err = await failure(sms.sendMessage(MESSAGE, { signal: plain.signal }));
    expect(err.code).toBe('timeout');
    expect(err.details).toMatchObject({ abortedBy: 'caller' });

    const lost = new AbortController();
    setTimeout(() => lost.abort(new WorkflowError('lock_lost', 'lease expired')), 50);
    const lostErr = await failure(sms.sendMessage(MESSAGE, { signal: lost.signal }));
    expect(lostErr.code).toBe('lock_lost');
  });

  it('a destroyed socket is a network error', async () => {
    standin.script('sms', [{ destroy: true }]);
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.code).toBe('network');
    expect(err.details).toMatchObject({ service: 'twilio', endpoint: 'messages.create' });
    expect(typeof err.details?.['latencyMs']).toBe('number');
  });

  it('connection refused is a network error', async () => {
    const gone = await startVendorStandin();
    await gone.close();
    const provider = createTwilioSmsProvider({ ...twilioOptions(), baseUrl: gone.url });
    const err = await failure(provider.sendMessage(MESSAGE));
    expect(err.code).toBe('network');
    expect(err.details).toMatchObject({ errorCode: 'ECONNREFUSED' });
  });

  it.each([401, 403])('%i is config_missing (credentials rejected)', async (status) => {
    standin.script('sms', [{ status, body: { code: 20003, message: 'Authenticate' } }]);
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.code).toBe('config_missing');
    expect(err.details).toMatchObject({ httpStatus: status, vendorCode: 20003 });
  });

  it('400 is invalid_input (the vendor rejected the request)', async () => {
    standin.script('appointments', [{ status: 400, body: { code: 'slot_taken' } }]);
    const err = await failure(pms.bookAppointment({ practiceId: 'p', patientId: 'q', slotStart: '2030-01-07T09:00:00Z' }));
    expect(err.code).toBe('invalid_input');
    expect(err.details).toMatchObject({ service: 'pms', endpoint: 'appointments.create', httpStatus: 400, vendorCode: 'slot_taken' });
  });

  it('a redirect is config_missing (not followed: a POST must not be replayed as a GET); 408 is timeout', async () => {
    standin.script('sms', [{ status: 302, headers: { location: '/elsewhere' } }, { status: 408 }]);
    const redirect = await failure(sms.sendMessage(MESSAGE));
    expect(redirect.code).toBe('config_missing');
    expect(standin.countFor('unknown')).toBe(0);
    expect((await failure(sms.sendMessage(MESSAGE))).code).toBe('timeout');
  });

  it('a 200 whose body is not JSON is sent: the message exists, its sid is unknown', async () => {
    standin.script('sms', [{ status: 200, body: '<html>maintenance</html>', headers: { 'content-type': 'text/html' } }]);
    expect(await sms.sendMessage(MESSAGE)).toMatchObject({ sid: null, status: ACCEPTED_UNREAD });
    expect(standin.resources).toHaveLength(1);
  });

  it('a 200 JSON body of the wrong shape is sent with an unknown sid too', async () => {
    standin.script('sms', [{ status: 200, body: { status: 'queued' } }]);
    expect(await sms.sendMessage(MESSAGE)).toMatchObject({ sid: null, status: ACCEPTED_UNREAD });
  });

  it('a read (slot list) whose 2xx body is not JSON is vendor_unavailable, outcome sent', async () => {
    standin.script('slots', [{ status: 200, body: 'nope', headers: { 'content-type': 'text/plain' } }]);
    const err = await failure(pms.findSlots({ practiceId: 'prac_1', from: 'a', to: 'b' }));
    expect(err.code).toBe('vendor_unavailable');
    expect(err.outcome).toBe('sent');
  });
});

describe('three outcomes: did the vendor act?', () => {
  it('not_sent: connection refused (nothing left the machine)', async () => {
    const gone = await startVendorStandin();
    await gone.close();
    const err = await failure(createTwilioSmsProvider({ ...twilioOptions(), baseUrl: gone.url }).sendMessage(MESSAGE));
    expect(err.outcome).toBe('not_sent');
    expect(err.details).toMatchObject({ outcome: 'not_sent' });
  });

  it.each([400, 401, 404, 408, 422, 429])('not_sent: HTTP %i (the vendor refused it)', async (status) => {
    standin.script('sms', [{ status, body: { code: 21211 } }]);
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.outcome).toBe('not_sent');
  });

  it('not_sent: the caller aborted before the request was sent', async () => {
    const controller = new AbortController();
    controller.abort();
    const err = await failure(sms.sendMessage(MESSAGE, { signal: controller.signal }));
    expect(err.outcome).toBe('not_sent');
    expect(standin.countFor('sms')).toBe(0);
  });

  it.each([
    { name: 'reset after the vendor read the request', response: MISBEHAVIOUR.resetAfterRequest, code: 'network' },
    { name: 'reset before the vendor acted (we cannot tell the difference)', response: { destroy: true as const }, code: 'network' },
    { name: 'reset mid-body', response: MISBEHAVIOUR.resetMidBody, code: 'network' },
    { name: '502 from a gateway', response: MISBEHAVIOUR.gateway502, code: 'vendor_unavailable' },
    { name: '503', response: MISBEHAVIOUR.gateway503, code: 'vendor_unavailable' },
    { name: '504 from a gateway', response: MISBEHAVIOUR.gateway504, code: 'vendor_unavailable' },
    { name: 'a plain 500', response: { status: 500, body: { code: 20500 } }, code: 'vendor_unavailable' },
  ])('unknown: $name', async ({ response, code }) => {
    standin.script('sms', [response]);
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.code).toBe(code);
    expect(err.outcome).toBe('unknown');
    expect(standin.countFor('sms')).toBe(1);
  });

  it('unknown: our timeout after the request was written, though the vendor answers later', async () => {
    const quick = createTwilioSmsProvider(twilioOptions(150));
    standin.script('sms', [lateAnswer(400)]);
    const err = await failure(quick.sendMessage(MESSAGE));
    expect(err.code).toBe('timeout');
    expect(err.outcome).toBe('unknown');
    // The vendor went on and created the message: this is why a timeout is never "not sent".
    await expect.poll(() => standin.resources.length, { timeout: 2_000 }).toBe(1);
  });

  it('reads at most the size cap of an answer: a huge 2xx is sent (unreadable), a huge 5xx is unknown', async () => {
    const huge = 'x'.repeat(DEFAULT_MAX_RESPONSE_BYTES + 10);
    standin.script('sms', [{ status: 201, body: huge }, { status: 500, body: huge }]);
    expect(await sms.sendMessage(MESSAGE)).toMatchObject({ sid: null, status: ACCEPTED_UNREAD });
    const err = await failure(sms.sendMessage(MESSAGE));
    expect(err.outcome).toBe('unknown');
    expect(err.details?.['vendorCode']).toBeUndefined();
  });
});

describe('lookups (what reconciliation asks)', () => {
  const since = () => new Date(Date.now() - 1_000);

  it('finds a message the vendor created before its answer was lost, by To, From, body and time', async () => {
    standin.script('sms', [MISBEHAVIOUR.resetAfterRequest]);
    await failure(sms.sendMessage(MESSAGE));
    await sms.sendMessage({ ...MESSAGE, body: 'another text' });
    const found = await sms.findMessages(MESSAGE, since());
    expect(found.matches).toHaveLength(1);
    expect(found.matches[0]?.sid).toBe(standin.resources[0]?.id);
    const [list] = standin.requests.filter((r) => r.route === 'sms_list');
    expect(list?.query).toMatchObject({ To: MESSAGE.to, From: MESSAGE.from });
    // No DateSent filter: a queued message has no DateSent, and Twilio would leave it out.
    expect(Object.keys(list?.query ?? {}).some((k) => k.startsWith('DateSent'))).toBe(false);
  });

  it('the stand-in, like Twilio, leaves a queued message out of a DateSent-filtered list', async () => {
    await sms.sendMessage(MESSAGE);
    const day = new Date().toISOString().slice(0, 10);
    const query = new URLSearchParams({ To: MESSAGE.to, 'DateSent>': day });
    const response = await fetch(`${standin.url}/2010-04-01/Accounts/${ACCOUNT_SID}/Messages.json?${query.toString()}`);
    expect(((await response.json()) as { messages: unknown[] }).messages).toHaveLength(0);
  });

  it('finds nothing for a request the vendor never acted on, or one created before the intent', async () => {
    standin.script('sms', [{ destroy: true }]);
    await failure(sms.sendMessage(MESSAGE));
    expect((await sms.findMessages(MESSAGE, since())).matches).toHaveLength(0);
    await sms.sendMessage(MESSAGE);
    expect((await sms.findMessages(MESSAGE, new Date(Date.now() + 10 * 60_000))).matches).toHaveLength(0);
  });

  it('pages through a long list (newest first) and stops at resources older than the window', async () => {
    for (let i = 0; i < 60; i++) await sms.sendMessage({ ...MESSAGE, body: `bulk ${i}` });
    const found = await sms.findMessages({ ...MESSAGE, body: 'bulk 0' }, since());
    expect(found.matches).toHaveLength(1);
    expect(found.pages).toBe(2);
  });

  it('does not list what it created within its listing delay', async () => {
    standin.setListingDelay(60_000);
    await sms.sendMessage(MESSAGE);
    expect((await sms.findMessages(MESSAGE, since())).matches).toHaveLength(0);
    standin.setListingDelay(0);
    expect((await sms.findMessages(MESSAGE, since())).matches).toHaveLength(1);
  });

  it('finds a call by To and From', async () => {
    const call = { to: PATIENT_PHONE, from: '+15550001111', twimlUrl: 'https://x.test/twiml' };
    standin.script('calls', [MISBEHAVIOUR.gateway504]);
    await failure(voice.createCall(call));
    const found = await voice.findCalls(call, since());
    expect(found.matches.map((m) => m.sid)).toEqual([standin.resources[0]?.id]);
  });

  it('the PMS dedupes bookings by Idempotency-Key and finds them by it', async () => {
    const input = { practiceId: 'prac_1', patientId: 'pat_1', slotStart: '2030-01-07T09:00:00Z' };
    standin.script('appointments', [MISBEHAVIOUR.resetAfterRequest]);
    await failure(pms.bookAppointment(input, { idempotencyKey: 'tok_a' }));
    const found = await pms.findBookings('tok_a');
    expect(found.bookings).toHaveLength(1);
    const again = await pms.bookAppointment(input, { idempotencyKey: 'tok_a' });
    expect(again.appointmentId).toBe(found.bookings[0]?.appointmentId);
    expect((await pms.findBookings('tok_other')).bookings).toEqual([]);
  });
});

describe('no PHI in errors', () => {
  // Vendors echo the request in error bodies (Twilio: "The 'To' number +1555... is not valid").
  const echo = { code: 21211, message: `The 'To' number ${PATIENT_PHONE} is not valid: ${CANARY}`, more_info: CANARY };

  it.each([
    { name: '400 echoing the request', response: { status: 400, body: echo } },
    { name: '429 echoing the request', response: { status: 429, body: echo } },
    { name: '500 echoing the request', response: { status: 500, body: echo } },
    { name: 'destroyed socket', response: { destroy: true as const } },
  ])('$name', async ({ response }) => {
    standin.script('sms', [response]);
    const err = await failure(sms.sendMessage(MESSAGE));
    const text = printable(err);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(PATIENT_PHONE);
    expect(text).not.toContain(PATIENT_PHONE.slice(1)); // also not in form-encoded or bare form
  });

  it.each([
    { name: 'non-JSON 200 echoing the request', response: { status: 200, body: `ok ${PATIENT_PHONE} ${CANARY}` } },
    { name: 'wrong-shape 200 echoing the request', response: { status: 200, body: { sid: 42, to: PATIENT_PHONE, body: CANARY } } },
  ])('an unreadable 2xx answer ($name) keeps nothing of the body', async ({ response }) => {
    standin.script('sms', [response]);
    const text = JSON.stringify(await sms.sendMessage(MESSAGE));
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(PATIENT_PHONE.slice(1));
  });

  it('a timeout error carries no PHI either', async () => {
    standin.script('sms', [{ hang: true }]);
    const err = await failure(createTwilioSmsProvider(twilioOptions(100)).sendMessage(MESSAGE));
    const text = printable(err);
    expect(text).not.toContain(CANARY);
    expect(text).not.toContain(PATIENT_PHONE.slice(1));
  });
});

describe('vendor stand-in', () => {
  it('close() ends hanging requests and resolves promptly', async () => {
    standin.script('sms', [{ hang: true }]);
    const pending = failure(createTwilioSmsProvider(twilioOptions(10_000)).sendMessage(MESSAGE));
    await expect.poll(() => standin.countFor('sms')).toBe(1);
    const started = performance.now();
    await standin.close();
    expect(performance.now() - started).toBeLessThan(500);
    expect((await pending).code).toBe('network');
  });

  it('answers scripted responses in order, then the default; reset() restores defaults', async () => {
    standin.script('sms', [{ status: 503 }, { status: 201, body: { sid: 'SMfixed', status: 'accepted' }, delayMs: 20 }]);
    expect((await failure(sms.sendMessage(MESSAGE))).code).toBe('vendor_unavailable');
    expect(await sms.sendMessage(MESSAGE)).toMatchObject({ sid: 'SMfixed', status: 'accepted' });
    expect((await sms.sendMessage(MESSAGE)).sid).toMatch(/^SM[0-9a-f]{32}$/);
    standin.setDefault('sms', { status: 500 });
    expect((await failure(sms.sendMessage(MESSAGE))).code).toBe('vendor_unavailable');
    standin.reset();
    expect(standin.requests).toHaveLength(0);
    expect((await sms.sendMessage(MESSAGE)).status).toBe('queued');
    expect(standin.countFor('sms')).toBe(1);
  });

  it('runs as its own process: prints its url, serves, and exits 0 on SIGTERM', async () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/support/vendor-standin-main.ts', '0'], {
      cwd: root,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const lines = createInterface({ input: child.stdout });
      const [line] = (await once(lines, 'line')) as [string];
      const { url } = JSON.parse(line) as { url: string };
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      const remote = createTwilioSmsProvider({ ...twilioOptions(), baseUrl: url });
      expect((await remote.sendMessage(MESSAGE)).status).toBe('queued');
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const [code] = (await exited) as [number | null];
      expect(code).toBe(0);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
  });
});
