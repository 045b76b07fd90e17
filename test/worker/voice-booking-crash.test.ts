/**
 * The "yes" turn of a voice booking, with the worker SIGKILLed while the PMS has the booking
 * request: the caller gets the fallback at the deadline, another worker finishes the turn, and the
 * patient ends up with one appointment and one confirmation text.
 */
import { setConsent, upsertTenant } from '@revos/db';
import { twilioSignature } from '@revos/producer';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';
import { sleep, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { spawnTs, type Spawned } from '../support/processes.js';

const TWILIO_TOKEN = 'test-twilio-token';
const CALLER = '+15551237777';
const PATIENT = 'p_crash_caller';

let h: Harness;
let p: TestProducer;
const spawned: Spawned[] = [];

beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  p = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN });
  h.vendor.addPatient(CALLER, PATIENT);
  // A roomy budget, so the offer turn is answered even on a loaded machine; the rescue still comes far later.
  await upsertTenant(h.db.sql, { tenantId: TENANT, name: 'Test Practice', config: { ...TENANT_CONFIG, voice_budget_ms: 8_000 } });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: PATIENT, channel: 'sms', status: 'allow', source: 'test' });
});
afterAll(async () => {
  for (const s of spawned) if (s.child.exitCode === null) s.child.kill('SIGKILL');
  await p?.close();
  await h?.close();
});

function startWorker(name: string): Promise<Spawned> {
  return spawnTs(
    'test/support/worker-process.ts',
    {
      DATABASE_URL: h.database.url,
      MIGRATE_ON_START: 'false',
      QUEUE_PREFIX: h.prefix,
      WORKER_LANES: 'realtime,interactive',
      HEALTH_PORT: '0',
      LOG_LEVEL: 'warn',
      WORKER_ID: name,
      TWILIO_BASE_URL: h.vendor.url,
      PMS_BASE_URL: `${h.vendor.url}/pms`,
      SHUTDOWN_TIMEOUT_MS: '1000',
    },
    /"ready":true/,
  ).then((s) => {
    spawned.push(s);
    return s;
  });
}

async function post(pathAndQuery: string, form: Record<string, string>) {
  const url = `${p.url}${pathAndQuery}`;
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, form) },
    body: new URLSearchParams(form).toString(),
  });
  return { twiml: await res.text(), headers: res.headers };
}

describe('a worker killed during the booking call of a voice turn', () => {
  it('books once and texts once: another worker finishes the turn with the same Idempotency-Key', async () => {
    const victim = await startWorker('voice-victim');
    const callSid = `CA${randomBytes(16).toString('hex')}`;
    const answer = (speech: string) => ({ CallSid: callSid, From: CALLER, To: '+15550000003', SpeechResult: speech, Confidence: '0.9' });
    const path = `/webhooks/twilio/${TENANT}/voice`;

    const offer = await post(`${path}?turn=1`, answer('book an appointment next Wednesday at 11 am'));
    expect(offer.headers.get('x-revos-reply')).toBe('answered');

    // The PMS takes the booking when the request arrives, then is slow to answer: the worker dies meanwhile.
    h.vendor.script('appointments', [{ status: 201, body: (r: { booking?: unknown }) => r.booking, delayMs: 30_000 }]);
    const yes = post(`${path}?turn=2`, answer('yes'));
    for (let i = 0; i < 400 && h.vendor.countFor('appointments') === 0; i++) await sleep(10);
    expect(h.vendor.countFor('appointments')).toBe(1);
    victim.child.kill('SIGKILL');
    expect(await victim.exited).toBe('SIGKILL');
    const fallback = await yes;
    expect(fallback.headers.get('x-revos-reply')).toBe('deadline');
    expect(fallback.twiml).toContain('<Dial>');
    const runId = fallback.headers.get('x-revos-run-id')!;

    await startWorker('voice-rescuer');
    const run = await h.waitForRun(runId, undefined, 50_000);
    expect(run.status).toBe('ok');
    expect(run.latency_breach).toBe(true);
    // Asked twice with one key; booked once.
    const asks = h.vendor.requests.filter((r) => r.route === 'appointments');
    expect(asks).toHaveLength(2);
    expect(new Set(asks.map((r) => r.headers['idempotency-key'])).size).toBe(1);
    expect(new Set(asks.map((r) => r.booking?.appointment_id)).size).toBe(1);
    expect(run.output?.result.primary_outputs.appointment_id).toBe(asks[0]!.booking!.appointment_id);

    // The confirmation is the turn's one WF30 child; once it has finished, every text it sent is counted.
    let texts: { workflow_run_id: string; status: string }[] = [];
    for (let i = 0; i < 800; i++) {
      texts = await h.db.sql`select workflow_run_id, status from workflow_runs where workflow_name = 'WF30_Send_SMS' and parent_run_id = ${runId}`;
      if (texts.length > 0 && texts.every((t) => ['ok', 'failed', 'blocked'].includes(t.status))) break;
      await sleep(25);
    }
    expect(texts.map((t) => t.status)).toEqual(['ok']);
    expect(h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.To === CALLER)).toHaveLength(1);
    const events = await h.db.sql`select 1 from events where idempotency_key = ${run.idempotency_key} and event_type = 'appointment.booked'`;
    expect(events).toHaveLength(1);
  }, 90_000);
});
