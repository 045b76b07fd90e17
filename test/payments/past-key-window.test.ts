/**
 * WF60/WF61 on a trigger older than Stripe's 24 h idempotency-key window, whose answer is lost while
 * Stripe's lookups still lag the new charge or refund. Stripe has forgotten our key, so a second POST
 * would charge (or refund) twice: an absence is proof only once the listing delay has passed since the
 * call, and until then the run waits instead of sending again. Through the Stripe stand-in over HTTP.
 */
import { setConsent } from '@revos/db';
import type { Envelope } from '@revos/envelope';
import { defineWorkflow, submitRun } from '@revos/runtime';
import { createStripePaymentProvider, WF60_Collect_Payment, WF61_Refund_Payment } from '@revos/workflows';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { makeEnvelope, startHarness, TENANT, type Harness } from '../support/harness.js';
import { startStripeStandin, type StripeFault, type StripeStandin } from '../support/stripe-standin.js';

/** The worker trusts an absence this long after the call (RECONCILE_LISTING_DELAY_MS). */
const LISTING_DELAY_MS = 2_000;
/** Stripe lists a new charge or refund this long after creating it: shorter than the delay, longer than a retry's backoff. */
const STRIPE_LAG_MS = 1_500;
const PATIENT = 'p_payer_late';
/** WF60 with one attempt in all: what the first attempt cannot prove goes to staff. */
const ONE_SHOT_COLLECT = 'WF97_Test_One_Shot_Collect';

let h: Harness;
let stripe: StripeStandin;

beforeAll(async () => {
  stripe = await startStripeStandin();
  const payments = createStripePaymentProvider({ baseUrl: stripe.url, secretKey: stripe.secretKey, timeoutMs: 2_000 });
  const collectOnce = defineWorkflow({ ...WF60_Collect_Payment(payments), name: ONE_SHOT_COLLECT, attempts: 1 });
  h = await startHarness({ extraWorkflows: [WF60_Collect_Payment(payments), WF61_Refund_Payment(payments), collectOnce], listingDelayMs: LISTING_DELAY_MS });
  await setConsent(h.db.sql, { tenantId: TENANT, subjectId: PATIENT, channel: 'payment', status: 'allow', source: 'test' });
});
beforeEach(() => stripe.reset());
afterAll(async () => {
  await h?.close();
  await stripe?.close();
});

const intake = (envelope: Envelope) => submitRun({ db: h.db, queues: h.queues, catalog: h.catalog }, envelope, { source: 'api' });
const collect = (amount = 2500, workflow = 'WF60_Collect_Payment') =>
  makeEnvelope({ workflow, payload: { amount_minor: amount, currency: 'usd', payment_method: 'pm_card_visa', purpose: 'copay' }, subject: { patient_id: PATIENT } });
const refund = (paymentIntentId: string, amount: number) =>
  makeEnvelope({ workflow: 'WF61_Refund_Payment', payload: { payment_intent_id: paymentIntentId, amount_minor: amount }, subject: { patient_id: PATIENT } });

/** The same trigger, arrived 25 hours ago (its retry, or a replay, comes now). */
function dayOld(envelope: Envelope): Envelope {
  return { ...envelope, meta: { ...envelope.meta, timestamp_utc: new Date(Date.now() - 25 * 3600_000).toISOString() } };
}

/** Stripe has forgotten every key (as 24 h after the first request) and lists new objects late. */
function pastTheWindowWithLag(): void {
  stripe.setKeyTtlMs(0);
  stripe.setListingLagMs(STRIPE_LAG_MS);
}

async function effectOf(key: string) {
  const [row] = await h.db.sql<{ state: string; attempts: number; reconciliations: { answer: string }[] }[]>`
    select state, attempts, reconciliations from effects where idempotency_key = ${key}`;
  return row;
}

const postsTo = (path: string) => stripe.requests.filter((r) => r.method === 'POST' && r.path === path);

async function paid(amount: number): Promise<string> {
  const envelope = collect(amount);
  await intake(envelope);
  const run = await h.waitForRun(envelope.meta.workflow_run_id);
  expect(run.status).toBe('ok');
  return run.output?.result.primary_outputs['payment_intent_id'] as string;
}

/** A charge or a refund: how to trigger one a day late, where its POSTs go, what Stripe made of them. */
interface Operation {
  what: string;
  /** A trigger from 25 hours ago (a refund's charge is made first, now, inside the window). */
  trigger(): Promise<Envelope>;
  postPath: string;
  made(): { id: string }[];
  outputId: string;
}

const operations: Operation[] = [
  { what: 'charge', trigger: async () => dayOld(collect()), postPath: '/v1/payment_intents', made: () => stripe.charges(), outputId: 'payment_intent_id' },
  { what: 'refund', trigger: async () => dayOld(refund(await paid(3000), 1000)), postPath: '/v1/refunds', made: () => stripe.refunds, outputId: 'refund_id' },
];

describe.each(operations)('a $what past the key window whose answer is lost', (op) => {
  /** Runs one late trigger whose first POST meets `fault`, with Stripe's lookups lagging; checks the one thing made. */
  async function runLate(fault: StripeFault) {
    const envelope = await op.trigger();
    stripe.requests.length = 0;
    pastTheWindowWithLag();
    stripe.failNext(fault);
    await intake(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run).toMatchObject({ status: 'ok', retry_count: 1 });
    expect(op.made()).toHaveLength(1);
    expect(run.output?.result.primary_outputs[op.outputId]).toBe(op.made()[0]?.id);
    return { posts: postsTo(op.postPath), entry: await effectOf(envelope.meta.idempotency_key) };
  }

  it(`while the lookup lags: no second POST, one ${op.what}, and the run ends ok once it is listed`, async () => {
    const { posts, entry } = await runLate({ kind: 'reset_after_acting' });
    expect(posts).toHaveLength(1);
    expect(entry).toMatchObject({ state: 'completed', attempts: 1 });
    expect(entry?.reconciliations.map((r) => r.answer)).toEqual(['not_yet_provable', 'found']);
  });

  it(`when nothing was made: exactly one new POST, sent only after the listing delay`, async () => {
    const { posts, entry } = await runLate({ kind: 'reset_before_acting' });
    expect(posts).toHaveLength(2);
    expect(posts[1]!.receivedAt.getTime() - posts[0]!.receivedAt.getTime()).toBeGreaterThanOrEqual(LISTING_DELAY_MS);
    expect(entry).toMatchObject({ state: 'completed', attempts: 2 });
    expect(entry?.reconciliations.map((r) => r.answer)).toEqual(['not_yet_provable', 'absent']);
  });
});

describe('the last attempt past the key window', () => {
  it('sends a charge not listed yet to staff with the question, never a second POST', async () => {
    pastTheWindowWithLag();
    stripe.failNext({ kind: 'reset_after_acting' });
    const envelope = dayOld(collect(2500, ONE_SHOT_COLLECT));
    await h.enqueue(envelope);
    const run = await h.waitForRun(envelope.meta.workflow_run_id);
    expect(run).toMatchObject({ status: 'failed', failure_code: 'effect_outcome_unknown' });
    expect(run.output?.meta_out.failure_reason).toContain('revos effects settle');
    expect(postsTo('/v1/payment_intents')).toHaveLength(1);
    expect(stripe.charges()).toHaveLength(1);
    expect(await effectOf(envelope.meta.idempotency_key)).toMatchObject({ state: 'unknown' });
    const tasks = await h.db.sql`select status from tasks where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(tasks).toEqual([{ status: 'open' }]);
  });
});
