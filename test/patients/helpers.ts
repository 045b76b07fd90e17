/**
 * Patients-and-staff suites: the real fleet (harness workers + the reference WF31) behind a real
 * producer, driven through correctly signed Twilio webhooks as Twilio would send them.
 */
import { runCli, twilioSignature } from '@revos/producer';
import { submitRun } from '@revos/runtime';
import { ulid } from 'ulid';
import { REDIS_URL, TEST_PHI_SEAL_KEY, TEST_PHI_TOKEN_KEY, type Harness, type RunRow } from '../support/harness.js';
import { startTestProducer, type TestProducer } from '../producer/helpers.js';

export const TWILIO_TOKEN = 'test-twilio-token';
/** The practice's number patients text (the harness tenant's `sms_from`). */
export const PRACTICE_NUMBER = '+15550000001';

/** A producer with the fleet's PHI keys (contacts are looked up by the number's token) and the test Twilio token. */
export function startPatientsProducer(h: Harness, env: Record<string, string> = {}): Promise<TestProducer> {
  return startTestProducer(h, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN, PHI_TOKEN_KEY: TEST_PHI_TOKEN_KEY, PHI_SEAL_KEY: TEST_PHI_SEAL_KEY, ...env });
}

export const newMessageSid = () => `SM${ulid().toLowerCase()}`;

export interface InboundText {
  sid: string;
  from: string;
  body: string;
  tenant: string;
}

/** POSTs an inbound text to the producer's Twilio SMS webhook, signed with the test token. */
export async function postInboundText(p: TestProducer, t: InboundText): Promise<Response> {
  const url = `${p.url}/webhooks/twilio/${t.tenant}/sms`;
  const form = { MessageSid: t.sid, AccountSid: 'AC_test', From: t.from, To: PRACTICE_NUMBER, Body: t.body, NumMedia: '0' };
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSignature(TWILIO_TOKEN, url, form) },
    body: new URLSearchParams(form).toString(),
  });
}

/** Sends an inbound text and waits for its WF31 run to finish. */
export async function textIn(h: Harness, p: TestProducer, t: InboundText): Promise<RunRow> {
  const res = await postInboundText(p, t);
  if (res.status !== 200) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
  const runId = res.headers.get('x-revos-run-id');
  if (!runId) throw new Error('webhook answered without x-revos-run-id');
  return h.waitForRun(runId);
}

/** Submits a WF30 text to `to` about `patientId` and waits for its outcome. */
export async function textOut(h: Harness, o: { to: string; patientId: string; body?: string; appointmentId?: string; template?: string }): Promise<RunRow> {
  const payload: Record<string, unknown> = { to: o.to };
  if (o.template) payload.template = o.template;
  else payload.body = o.body ?? 'See you soon';
  if (o.appointmentId) payload.appointment_id = o.appointmentId;
  const e = h.envelope({ workflow: 'WF30_Send_SMS', payload, subject: { patient_id: o.patientId } });
  await submitRun(h, e, { source: 'api' });
  return h.waitForRun(e.meta.workflow_run_id);
}

/** Texts the stand-in (playing Twilio) was asked to send to `to`. */
export function textsTo(h: Harness, to: string): string[] {
  return h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.['To'] === to).map((r) => r.form?.['Body'] ?? '');
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `revos ...args` in this process (the entry point bin/revos.mjs runs; test/producer covers the
 * spawned binary), against the harness, as operator `dana` unless `--operator` says otherwise.
 */
export async function revos(h: Harness, ...args: string[]): Promise<CliResult> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, {
    out: (t) => out.push(t),
    err: (t) => err.push(t),
    env: { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix, PHI_TOKEN_KEY: TEST_PHI_TOKEN_KEY, PHI_SEAL_KEY: TEST_PHI_SEAL_KEY, USER: 'dana' },
  });
  return { code, stdout: out.map((line) => `${line}\n`).join(''), stderr: err.join('\n') };
}
