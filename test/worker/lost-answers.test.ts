/**
 * A vendor that acts and then loses its answer must not get the text twice: the run asks the vendor
 * (Twilio's Messages list) and completes with the message it finds; proven absent, it sends exactly
 * once more; undecidable, staff are asked a concrete question. Real Redis, PostgreSQL and a stand-in
 * vendor that misbehaves the ways real ones do.
 */
import { defineWorkflow } from '@revos/runtime';
import { createTwilioSmsProvider } from '@revos/workflows';
import { z } from 'zod';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allowSms, invalidStoredOutputs, startHarness, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { lateAnswer, MISBEHAVIOUR, type ScriptedResponse } from '../support/vendor-standin.js';

const TO = '+15551230001';
let h: Harness;

/** A test sender of one text, reconciled through Twilio's list; `listingDelayMs` overrides the worker's. */
function testSender(name: string, attempts: number, listingDelayMs?: number) {
  return defineWorkflow({
    name,
    version: '1.0.0',
    lane: 'interactive',
    attempts,
    payload: z.object({ body: z.string() }),
    async run(ctx) {
      const sms = createTwilioSmsProvider({ baseUrl: h.vendor.url, accountSid: 'AC_test', authToken: 'x', timeoutMs: 2_000 });
      const message = { to: TO, from: TENANT_CONFIG.sms_from, body: ctx.payload.body };
      const sent = await ctx.effect<{ sid: string | null }>(
        'sms.send',
        {
          service: 'twilio',
          endpoint: 'messages.create',
          eventType: 'sms.sent',
          target: TO,
          ...(listingDelayMs === undefined ? {} : { listingDelayMs }),
          reconcile: async ({ intentAt, signal }) => {
            const found = await sms.findMessages(message, intentAt, { signal });
            return found.matches.length === 0 ? { kind: 'absent' } : { kind: 'found', resource: { sid: found.matches[0]!.sid } };
          },
        },
        ({ signal, idempotencyToken }) => sms.sendMessage(message, { signal, idempotencyToken }).then((r) => ({ sid: r.sid })),
      );
      return { summary: 'sent', primary_outputs: { sid: sent.sid }, phi_touched: false };
    },
  });
}

/** A one-attempt sender: what cannot be settled now must go to staff now. */
const oneShot = testSender('WF96_Test_One_Shot_Sms', 1);
/** A sender whose vendor lists at once (listing delay 0): an absence right after the call is proof. */
const listsAtOnce = testSender('WF97_Test_Lists_At_Once_Sms', 3, 0);

beforeAll(async () => {
  h = await startHarness({ lanes: ['interactive'], extraWorkflows: [oneShot, listsAtOnce] });
  await allowSms(h.db, 'p_lost');
});
afterAll(async () => {
  await h?.close();
});
beforeEach(() => {
  h.vendor.reset();
});

let counter = 0;
/** A WF30 text with a body of its own, so its messages can be told apart at the vendor. */
function text(): { envelope: ReturnType<Harness['envelope']>; body: string } {
  const body = `lost answer ${++counter}`;
  return { envelope: h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: TO, body }, subject: { patient_id: 'p_lost' } }), body };
}

const messagesWith = (body: string) => h.vendor.resources.filter((r) => r.kind === 'message' && r.fields['body'] === body);

async function journal(key: string) {
  const [row] = await h.db.sql<{ state: string; attempts: number; result: { sid: string | null } | null; reconciliations: { answer: string; question: string; evidence: Record<string, unknown> }[]; target: string | null }[]>`
    select state, attempts, result, reconciliations, target from effects where idempotency_key = ${key} and effect_name = 'sms.send'`;
  return row!;
}

describe('the vendor acted, then its answer was lost', () => {
  it.each<{ name: string; response: ScriptedResponse }>([
    { name: 'reset after reading the request', response: MISBEHAVIOUR.resetAfterRequest },
    { name: 'reset mid-body', response: MISBEHAVIOUR.resetMidBody },
    { name: '502 after accepting', response: MISBEHAVIOUR.gateway502 },
    { name: '503 after accepting', response: MISBEHAVIOUR.gateway503 },
    { name: '504 after accepting', response: MISBEHAVIOUR.gateway504 },
    { name: 'an answer after our timeout', response: lateAnswer(2_500) },
  ])('$name: one text, completed with the message the vendor lists', async ({ response }) => {
    h.vendor.script('sms', [response]);
    const { envelope, body } = text();
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);
    expect(run.status).toBe('ok');
    await new Promise((r) => setTimeout(r, 600)); // a late answer's message lands after our timeout
    expect(messagesWith(body)).toHaveLength(1);
    expect(h.vendor.countFor('sms')).toBe(1);
    const entry = await journal(envelope.meta.idempotency_key);
    expect(entry.state).toBe('completed');
    // The run completes with the vendor's own resource, found by the lookup.
    expect(entry.result?.sid).toBe(messagesWith(body)[0]?.id);
    expect(run.output?.result.primary_outputs).toMatchObject({ message_sid: messagesWith(body)[0]?.id });
    const found = entry.reconciliations.find((r) => r.answer === 'found');
    expect(found?.evidence).toMatchObject({ sid: messagesWith(body)[0]?.id });
    expect(found?.question).toContain('+*******0001');
    expect(entry.target).toBe('+*******0001');
    // One call to the vendor; the lookup that found it is no second call.
    expect(entry.attempts).toBe(1);
  }, 40_000);

  it('a 201 whose body is not JSON: sent, completed with what is known, never sent again', async () => {
    h.vendor.script('sms', [MISBEHAVIOUR.nonJson2xx]);
    const { envelope, body } = text();
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run.status).toBe('ok');
    expect(run.output?.result.primary_outputs).toMatchObject({ message_sid: null, status: 'accepted_unread' });
    expect(messagesWith(body)).toHaveLength(1);
    expect(h.vendor.countFor('sms')).toBe(1);
    expect((await journal(envelope.meta.idempotency_key)).state).toBe('completed');
  });
});

describe('the vendor did not act', () => {
  it('reset before acting: absent, proven after the listing delay, then exactly one new call', async () => {
    h.vendor.script('sms', [{ destroy: true }]);
    const { envelope, body } = text();
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);
    expect(run.status).toBe('ok');
    expect(h.vendor.countFor('sms')).toBe(2);
    expect(messagesWith(body)).toHaveLength(1);
    const entry = await journal(envelope.meta.idempotency_key);
    expect(entry.state).toBe('completed');
    expect(entry.attempts).toBe(2);
    // Absent right after the call is no proof (the vendor's lists lag); absent after the delay is.
    expect(entry.reconciliations.map((r) => r.answer)).toEqual(['not_yet_provable', 'absent']);
  }, 40_000);

  it.each<{ name: string; response: ScriptedResponse; workflow: string; answers: string[] }>([
    // The vendor lists at once (listing delay 0): absent right after the call is proof, the retry calls once.
    { name: 'reset before acting, proven absent within the same attempt', response: { destroy: true }, workflow: 'WF97_Test_Lists_At_Once_Sms', answers: ['absent'] },
    { name: 'a 500 before acting, absent once the listing delay has passed', response: { status: 500, body: { code: 20500, message: 'Internal Server Error' } }, workflow: 'WF30_Send_SMS', answers: ['not_yet_provable', 'absent'] },
  ])('$name: one retry, one new call, attempts 2', async ({ response, workflow, answers }) => {
    h.vendor.script('sms', [response]);
    const body = `did not act ${++counter}`;
    const envelope = h.envelope({ workflow, payload: workflow === 'WF30_Send_SMS' ? { to: TO, body } : { body }, subject: { patient_id: 'p_lost' } });
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);
    expect(run).toMatchObject({ status: 'ok', retry_count: 1 });
    expect(h.vendor.countFor('sms')).toBe(2);
    expect(messagesWith(body)).toHaveLength(1);
    const entry = await journal(envelope.meta.idempotency_key);
    expect(entry).toMatchObject({ state: 'completed', attempts: 2 });
    expect(entry.reconciliations.map((r) => r.answer)).toEqual(answers);
  }, 40_000);

  it('a 429 is never processed: sent again after Retry-After without asking', async () => {
    h.vendor.script('sms', [{ status: 429, headers: { 'retry-after': '1' }, body: { code: 20429 } }]);
    const { envelope, body } = text();
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);
    expect(run.status).toBe('ok');
    expect(h.vendor.countFor('sms_list')).toBe(0);
    expect(messagesWith(body)).toHaveLength(1);
    expect((await journal(envelope.meta.idempotency_key)).reconciliations).toEqual([]);
  }, 40_000);
});

describe('what the vendor cannot answer goes to staff as a question', () => {
  it('two matching messages: failed effect_outcome_unknown, a task naming the effect, the masked number and the time', async () => {
    const { envelope, body } = text();
    // The same text to the same number twice already (a patient asked twice): the lookup cannot tell ours.
    const sms = createTwilioSmsProvider({ baseUrl: h.vendor.url, accountSid: 'AC_test', authToken: 'x', timeoutMs: 2_000 });
    await sms.sendMessage({ to: TO, from: TENANT_CONFIG.sms_from, body });
    await sms.sendMessage({ to: TO, from: TENANT_CONFIG.sms_from, body });
    h.vendor.script('sms', [MISBEHAVIOUR.gateway504]);
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);
    expect(run.status).toBe('failed');
    expect(run.failure_code).toBe('effect_outcome_unknown');
    expect(h.vendor.countFor('sms')).toBe(3); // two before, one by the run: never a blind repeat
    const [task] = await h.db.sql<{ reason: string; failure_code: string; status: string }[]>`
      select reason, failure_code, status from tasks where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(task?.failure_code).toBe('effect_outcome_unknown');
    expect(task?.reason).toContain('sms.send');
    expect(task?.reason).toContain('+*******0001');
    expect(task?.reason).toMatch(/at \d{4}-\d\d-\d\dT/);
    expect(task?.reason).toContain(`revos effects settle ${envelope.meta.workflow_run_id} sms.send sent|not_sent`);
    expect(task?.reason).not.toContain(TO);
    expect(task?.reason).not.toContain(body);
    const entry = await journal(envelope.meta.idempotency_key);
    expect(entry.state).toBe('unknown');
    expect(entry.reconciliations.at(-1)).toMatchObject({ answer: 'undecidable', evidence: { examined: 3 } });
  }, 40_000);

  it('on the last attempt, an absence not yet provable goes to staff instead of waiting', async () => {
    h.vendor.setListingDelay(60_000);
    h.vendor.script('sms', [{ destroy: true }]);
    const envelope = h.envelope({ workflow: 'WF96_Test_One_Shot_Sms', payload: { body: `one shot ${++counter}` } });
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);
    expect(run.status).toBe('failed');
    expect(run.failure_code).toBe('effect_outcome_unknown');
    expect(run.output?.meta_out.failure_reason).toContain('did not list it yet');
    expect(h.vendor.countFor('sms')).toBe(1);
  });

  it('a lookup that fails on the last attempt goes to staff', async () => {
    h.vendor.setDefault('sms_list', { status: 500 });
    h.vendor.script('sms', [MISBEHAVIOUR.gateway504]);
    const envelope = h.envelope({ workflow: 'WF96_Test_One_Shot_Sms', payload: { body: `one shot ${++counter}` } });
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 30_000);
    expect(run.failure_code).toBe('effect_outcome_unknown');
    expect(run.output?.meta_out.failure_reason).toContain('lookup failed (vendor_unavailable)');
    expect(h.vendor.countFor('sms')).toBe(1);
  });

  it('stored only outputs that pass the contract schema', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
