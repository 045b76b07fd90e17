/**
 * WF60_Collect_Payment and WF61_Refund_Payment through the real intake, queues, workers and database,
 * against the Stripe stand-in: one charge per trigger across duplicates and every lost-answer shape,
 * declines blocked with a staff task, outages retried, consent and policy enforced, card data refused.
 */
import { setConsent } from '@revos/db';
import { isValidationError, type Envelope } from '@revos/envelope';
import { submitRun } from '@revos/runtime';
import { createStripePaymentProvider, WF60_Collect_Payment, WF61_Refund_Payment } from '@revos/workflows';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { invalidStoredOutputs, makeEnvelope, startHarness, TENANT, type Harness } from '../support/harness.js';
import { startStripeStandin, type StripeFault, type StripeStandin } from '../support/stripe-standin.js';

let h: Harness;
let stripe: StripeStandin;
const PATIENT = 'p_payer';

beforeAll(async () => {
  stripe = await startStripeStandin();
  const payments = createStripePaymentProvider({ baseUrl: stripe.url, secretKey: stripe.secretKey, timeoutMs: 2_000 });
  h = await startHarness({ extraWorkflows: [WF60_Collect_Payment(payments), WF61_Refund_Payment(payments)] });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: PATIENT, channel: 'payment', status: 'allow', source: 'test' });
});
beforeEach(() => stripe.reset());
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

const copay = (overrides: Record<string, unknown> = {}) => ({ amount_minor: 2500, currency: 'usd', payment_method: 'pm_card_visa', purpose: 'copay', ...overrides });
const collect = (payload: Record<string, unknown> = copay(), patientId = PATIENT) =>
  h.envelope({ workflow: 'WF60_Collect_Payment', payload, subject: { patient_id: patientId } });
const intake = (envelope: Envelope) => submitRun({ db: h.db, queues: h.queues, catalog: h.catalog }, envelope, { source: 'api' });

/** The journal entry of the key's one effect: state and how many calls reached the processor. */
async function effectOf(key: string) {
  const [row] = await h.db.sql<{ state: string; attempts: number; result: Record<string, unknown> | null }[]>`
    select state, attempts, result from effects where idempotency_key = ${key}`;
  return row;
}

/** The worker logged that the vendor's lookup found the effect (so it completed without calling again). */
const settledByLookup = (runId: string, effect: string) =>
  h.logLines.some((l) => l['workflow_run_id'] === runId && l['effect'] === effect && l['msg'] === 'vendor lists the effect: completed without calling again');

async function eventsOf(key: string) {
  return h.db.sql<{ event_type: string; payload: Record<string, unknown> | null }[]>`
    select event_type, payload from events where idempotency_key = ${key} order by occurred_at`;
}

describe('collect a payment', () => {
  it('charges once and records the PaymentIntent id and amount, never card data', async () => {
    const envelope = collect();
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run.status).toBe('ok');
    const [pi] = stripe.charges();
    expect(stripe.charges()).toHaveLength(1);
    expect(pi).toMatchObject({ amount: 2500, currency: 'usd', payment_method: 'pm_card_visa' });
    expect(run.output?.result.primary_outputs).toMatchObject({ payment_intent_id: pi?.id, amount_minor: 2500, currency: 'usd', status: 'succeeded', purpose: 'copay' });
    expect(run.output?.audit).toMatchObject({ consent_checked: true, consent_result: 'allow' });
    expect(run.output?.audit.external_calls).toEqual([expect.objectContaining({ service: 'stripe', endpoint: 'payment_intents.create', success: true })]);
    const events = await eventsOf(envelope.meta.idempotency_key);
    expect(events).toEqual([{ event_type: 'payment.collected', payload: { payment_intent_id: pi?.id, amount_minor: 2500, currency: 'usd', status: 'succeeded' } }]);
    // The processor's metadata holds ids only (tenant, purpose, our effect token).
    expect(Object.keys(pi?.metadata ?? {}).sort()).toEqual(['purpose', 'revos_effect', 'tenant_id']);
  });

  it('charges once when the same trigger arrives ten times at once', async () => {
    const envelope = collect(copay({ amount_minor: 4200 }));
    // Ten deliveries of one trigger (a webhook retried, a double click): new run ids, one key.
    const copies = Array.from({ length: 10 }, (_, i) => {
      const runId = i === 0 ? envelope.meta.workflow_run_id : `wr_DUP${i}${envelope.meta.workflow_run_id.slice(7)}`;
      return { ...envelope, meta: { ...envelope.meta, workflow_run_id: runId, root_run_id: runId } };
    });
    const results = await Promise.all(copies.map((copy) => intake(copy)));
    expect(results.filter((r) => r.status === 'queued')).toHaveLength(1);
    expect(new Set(results.map((r) => r.workflow_run_id)).size).toBe(1);
    const run = await h.waitForRun(results[0]!.workflow_run_id);
    expect(run.status).toBe('ok');
    expect(stripe.charges()).toHaveLength(1);
    expect(stripe.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    expect((await eventsOf(envelope.meta.idempotency_key)).map((e) => e.event_type)).toEqual(['payment.collected']);
  });

  it.each<StripeFault['kind']>(['reset_after_acting', 'error_500_after_acting', 'non_json_2xx_after_acting'])(
    'charges once when the answer is lost after charging (%s): the lookup by our token finds the PaymentIntent, no second POST',
    async (kind) => {
      stripe.failNext({ kind } as StripeFault);
      const envelope = collect();
      await intake(envelope);
      const run = await h.waitForRun(envelope.meta.workflow_run_id);
      expect(run).toMatchObject({ status: 'ok', retry_count: 0 });
      expect(stripe.charges()).toHaveLength(1);
      const [pi] = stripe.charges();
      expect(run.output?.result.primary_outputs).toMatchObject({ payment_intent_id: pi?.id, amount_minor: 2500, currency: 'usd', status: 'succeeded' });
      // One POST, then the search for our token settled it within the same attempt.
      expect(stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/payment_intents', 'GET /v1/payment_intents/search']);
      expect(stripe.requests[1]?.query['query']).toContain(pi?.metadata['revos_effect']);
      expect(await effectOf(envelope.meta.idempotency_key)).toMatchObject({ state: 'completed', attempts: 1, result: { payment_intent_id: pi?.id } });
      expect(settledByLookup(envelope.meta.workflow_run_id, 'payment.charge')).toBe(true);
      expect((await eventsOf(envelope.meta.idempotency_key)).map((e) => e.event_type)).toEqual(['payment.collected']);
    },
  );

  it('a lost answer the lookup does not find is sent again under the same key, answered from Stripe\'s dedupe', async () => {
    // The search lags (Stripe's search is eventually consistent): the new charge is not listed yet.
    stripe.failNext({ kind: 'reset_after_acting' });
    stripe.lagNextSearch();
    const envelope = collect();
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run).toMatchObject({ status: 'ok', retry_count: 1 });
    expect(stripe.charges()).toHaveLength(1);
    expect(run.output?.result.primary_outputs['payment_intent_id']).toBe(stripe.charges()[0]?.id);
    const posts = stripe.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(2);
    expect(new Set(posts.map((r) => r.idempotencyKey)).size).toBe(1);
    expect(await effectOf(envelope.meta.idempotency_key)).toMatchObject({ state: 'completed', attempts: 2 });
    expect(settledByLookup(envelope.meta.workflow_run_id, 'payment.charge')).toBe(false);
  });

  it('charges once after a lost answer beyond the key window, by looking the charge up by metadata', async () => {
    stripe.setKeyTtlMs(0); // the processor has forgotten every key, as 24 h after the first request
    stripe.failNext({ kind: 'reset_after_acting' });
    const fresh = collect();
    // A trigger from 25 hours ago whose retry comes now.
    const envelope = { ...fresh, meta: { ...fresh.meta, timestamp_utc: new Date(Date.now() - 25 * 3600_000).toISOString() } };
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    // Settled within the first attempt: the search before the POST (the key may be forgotten) found
    // nothing, the lookup after the lost answer found the charge.
    expect(run).toMatchObject({ status: 'ok', retry_count: 0 });
    expect(stripe.charges()).toHaveLength(1);
    expect(run.output?.result.primary_outputs['payment_intent_id']).toBe(stripe.charges()[0]?.id);
    expect(stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /v1/payment_intents/search',
      'POST /v1/payment_intents',
      'GET /v1/payment_intents/search',
    ]);
    expect(await effectOf(envelope.meta.idempotency_key)).toMatchObject({ state: 'completed', attempts: 1 });
    expect(settledByLookup(envelope.meta.workflow_run_id, 'payment.charge')).toBe(true);
  });

  it('retries through a processor outage and charges once', async () => {
    stripe.failNext({ kind: 'outage_503' }, { kind: 'outage_503' });
    const envelope = collect();
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run.status).toBe('ok');
    expect(run.retry_count).toBe(2);
    expect(stripe.charges()).toHaveLength(1);
    // Three POSTs reached the processor (two refused before acting): the journal counts each.
    expect(stripe.requests.filter((r) => r.method === 'POST')).toHaveLength(3);
    expect(await effectOf(envelope.meta.idempotency_key)).toMatchObject({ state: 'completed', attempts: 3 });
  });

  it('ends blocked on a decline with the decline code and an open staff task, and charges nothing', async () => {
    const envelope = collect(copay({ payment_method: 'pm_card_chargeDeclinedInsufficientFunds' }));
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run).toMatchObject({ status: 'blocked', failure_code: 'payment_declined', retry_count: 0 });
    expect(run.output?.result.primary_outputs).toMatchObject({ declineCode: 'insufficient_funds', vendorCode: 'card_declined', httpStatus: 402 });
    expect(run.output?.result.next_actions).toEqual([expect.objectContaining({ workflow: 'WF21_Escalate_To_Staff' })]);
    const tasks = await h.db.sql`select status, failure_code from tasks where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(tasks).toEqual([{ status: 'open', failure_code: 'payment_declined' }]);
    expect(stripe.charges()).toHaveLength(0);
    expect(stripe.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
  });

  it('is blocked without the patient’s payment consent, before any call to the processor', async () => {
    const envelope = collect(copay(), 'p_no_authorization');
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run).toMatchObject({ status: 'blocked', failure_code: 'consent_denied' });
    expect(stripe.requests).toHaveLength(0);
  });

  it('refuses a card number at intake, naming the field, and stores nothing', async () => {
    const envelope = collect(copay({ payment_method: '4242 4242 4242 4242' }));
    const error = await intake(envelope).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isValidationError(error)).toBe(true);
    expect((error as { issues: unknown[] }).issues).toEqual([
      expect.objectContaining({ path: 'payload.payment_method', rule: 'card_number_forbidden' }),
    ]);
    const stored = await h.db.sql`select 1 from workflow_runs where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(stored).toHaveLength(0);
  });

  it('does not refuse (and lose) an inbound text that quotes a card: only payment workflows refuse card data', async () => {
    const text = makeEnvelope({ workflow: 'WF31_Inbound_SMS', payload: { message_sid: 'SM_card_quote', from: '+15551230009', to: '+15550000001', body: 'my card is 4242 4242 4242 4242' } });
    expect((await intake(text)).status).toBe('queued');
    expect((await h.waitForRun(text.meta.workflow_run_id)).status).toBe('ok');
  });

  it('fails a payment method that is not a pm_ reference with the field and the rule', async () => {
    const envelope = collect(copay({ payment_method: 'tok_visa' }));
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run).toMatchObject({ status: 'failed', failure_code: 'invalid_input' });
    expect(run.output?.meta_out.failure_reason).toContain('payload.payment_method');
    expect(stripe.requests).toHaveLength(0);
  });
});

describe('refund a payment', () => {
  async function paid(amount: number): Promise<string> {
    const envelope = collect(copay({ amount_minor: amount }));
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    return run.output?.result.primary_outputs['payment_intent_id'] as string;
  }
  const refund = (payload: Record<string, unknown>) => makeEnvelope({ workflow: 'WF61_Refund_Payment', payload, subject: { patient_id: PATIENT } });

  it('refunds once across a lost answer, with the refund id and amount in the event', async () => {
    const pi = await paid(3000);
    stripe.requests.length = 0;
    stripe.failNext({ kind: 'reset_after_acting' });
    const envelope = refund({ payment_intent_id: pi, amount_minor: 1000, reason: 'requested_by_customer' });
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    // Settled in the same attempt by listing the PaymentIntent's refunds for our token: one POST.
    expect(run).toMatchObject({ status: 'ok', retry_count: 0 });
    expect(stripe.refunds).toHaveLength(1);
    expect(stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/refunds', 'GET /v1/refunds']);
    expect(await effectOf(envelope.meta.idempotency_key)).toMatchObject({ state: 'completed', attempts: 1 });
    expect(settledByLookup(envelope.meta.workflow_run_id, 'payment.refund')).toBe(true);
    const [re] = stripe.refunds;
    expect(run.output?.result.primary_outputs).toMatchObject({ refund_id: re?.id, payment_intent_id: pi, amount_minor: 1000, status: 'succeeded' });
    expect(await eventsOf(envelope.meta.idempotency_key)).toEqual([
      { event_type: 'payment.refunded', payload: { refund_id: re?.id, payment_intent_id: pi, amount_minor: 1000, currency: 'usd', status: 'succeeded' } },
    ]);
  });

  it('refunds once after a lost answer beyond the key window: the lookup finds the refund in the same attempt', async () => {
    const pi = await paid(3000);
    stripe.requests.length = 0;
    stripe.setKeyTtlMs(0);
    stripe.failNext({ kind: 'reset_after_acting' });
    const fresh = refund({ payment_intent_id: pi, amount_minor: 500 });
    const envelope = { ...fresh, meta: { ...fresh.meta, timestamp_utc: new Date(Date.now() - 25 * 3600_000).toISOString() } };
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run).toMatchObject({ status: 'ok', retry_count: 0 });
    expect(stripe.refunds).toHaveLength(1);
    expect(run.output?.result.primary_outputs['refund_id']).toBe(stripe.refunds[0]?.id);
    expect(stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['GET /v1/refunds', 'POST /v1/refunds', 'GET /v1/refunds']);
    expect(await effectOf(envelope.meta.idempotency_key)).toMatchObject({ state: 'completed', attempts: 1 });
    expect(settledByLookup(envelope.meta.workflow_run_id, 'payment.refund')).toBe(true);
  });

  it('fails a refund of more than is left with the processor’s code and a staff task', async () => {
    const pi = await paid(1000);
    const envelope = refund({ payment_intent_id: pi, amount_minor: 5000 });
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run).toMatchObject({ status: 'failed', failure_code: 'invalid_input' });
    expect(run.output?.result.primary_outputs).toMatchObject({ vendorCode: 'amount_too_large' });
    const tasks = await h.db.sql`select status from tasks where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(tasks).toEqual([{ status: 'open' }]);
    expect(stripe.refunds).toHaveLength(0);
  });

  it('every stored output passes the contract', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
