/**
 * The Stripe-shaped payment adapter against the Stripe stand-in over a real socket: what the processor
 * receives, its idempotency (replay, conflict, expiry), declines, outages and every lost-answer shape,
 * and the lookup by metadata that settles a lost answer once the key window has passed.
 */
import { WorkflowError } from '@revos/envelope';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { chargeOnce, createStripePaymentProvider, EFFECT_METADATA_KEY, STRIPE_API_VERSION, type PaymentProvider } from '@revos/workflows';
import { STANDIN_STRIPE_VERSION, startStripeStandin, type StripeStandin } from '../support/stripe-standin.js';

let stripe: StripeStandin;
let payments: PaymentProvider;

beforeAll(async () => {
  stripe = await startStripeStandin();
  payments = createStripePaymentProvider({ baseUrl: stripe.url, secretKey: stripe.secretKey, timeoutMs: 2_000 });
});
beforeEach(() => stripe.reset());
afterAll(async () => {
  await stripe?.close();
});

const charge = (paymentMethod = 'pm_card_visa', amountMinor = 2500) => ({
  amountMinor,
  currency: 'usd',
  paymentMethod,
  metadata: { tenant_id: 't_test_practice', purpose: 'copay' },
});

async function failure(promise: Promise<unknown>): Promise<WorkflowError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(WorkflowError);
  return error as WorkflowError;
}

describe('charge', () => {
  it('posts a confirmed, off-session PaymentIntent form with our key as Idempotency-Key and metadata', async () => {
    const result = await payments.charge(charge(), { idempotencyKey: 'key_a' });
    expect(result).toMatchObject({ amountMinor: 2500, currency: 'usd', status: 'succeeded' });
    expect(result.paymentIntentId).toMatch(/^pi_/);
    const [request] = stripe.requests;
    expect(request).toMatchObject({ method: 'POST', path: '/v1/payment_intents', idempotencyKey: 'key_a' });
    expect(request?.form).toEqual({
      amount: '2500',
      currency: 'usd',
      payment_method: 'pm_card_visa',
      confirm: 'true',
      off_session: 'true',
      'metadata[tenant_id]': 't_test_practice',
      'metadata[purpose]': 'copay',
      [`metadata[${EFFECT_METADATA_KEY}]`]: 'key_a',
    });
  });

  it('gets the first charge back for the same key and body, and one charge exists', async () => {
    const first = await payments.charge(charge(), { idempotencyKey: 'key_same' });
    const second = await payments.charge(charge(), { idempotencyKey: 'key_same' });
    expect(second.paymentIntentId).toBe(first.paymentIntentId);
    expect(stripe.charges()).toHaveLength(1);
  });

  it('refuses the same key with another body as idempotency_conflict, charging nothing more', async () => {
    await payments.charge(charge('pm_card_visa', 2500), { idempotencyKey: 'key_conflict' });
    const error = await failure(payments.charge(charge('pm_card_visa', 9900), { idempotencyKey: 'key_conflict' }));
    expect(error.code).toBe('idempotency_conflict');
    expect(error.details).toMatchObject({ httpStatus: 400, vendorCode: 'idempotency_error' });
    expect(stripe.charges()).toHaveLength(1);
  });

  it.each([
    ['pm_card_chargeDeclined', 'generic_decline'],
    ['pm_card_chargeDeclinedInsufficientFunds', 'insufficient_funds'],
    ['pm_card_authenticationRequired', 'authentication_required'],
  ])('turns a 402 for %s into payment_declined with decline code %s', async (method, declineCode) => {
    const error = await failure(payments.charge(charge(method), { idempotencyKey: `key_${method}` }));
    expect(error.code).toBe('payment_declined');
    expect(error.details).toMatchObject({ service: 'stripe', endpoint: 'payment_intents.create', httpStatus: 402, declineCode });
    expect(stripe.charges()).toHaveLength(0);
    // A replay of the declined key is the same decline (Stripe stores 4xx answers too), never a charge.
    const again = await failure(payments.charge(charge(method), { idempotencyKey: `key_${method}` }));
    expect(again.details?.['declineCode']).toBe(declineCode);
  });

  it('treats an outage (503 before acting) as vendor_unavailable and charges nothing', async () => {
    stripe.failNext({ kind: 'outage_503' });
    const error = await failure(payments.charge(charge(), { idempotencyKey: 'key_outage' }));
    expect(error.code).toBe('vendor_unavailable');
    expect(stripe.charges()).toHaveLength(0);
  });

  it.each([
    ['reset_after_acting', 'network'],
    ['error_500_after_acting', 'vendor_unavailable'],
    ['non_json_2xx_after_acting', 'vendor_unavailable'],
  ] as const)('after %s (a retryable %s) the same key yields the charge already made', async (kind, code) => {
    stripe.failNext({ kind });
    const error = await failure(payments.charge(charge(), { idempotencyKey: `key_${kind}` }));
    expect(error.code).toBe(code);
    expect(stripe.charges()).toHaveLength(1);
    const retried = await payments.charge(charge(), { idempotencyKey: `key_${kind}` });
    expect(retried.paymentIntentId).toBe(stripe.charges()[0]?.id);
    expect(stripe.charges()).toHaveLength(1);
  });

  it('answers a key still in progress with a retryable error, not a second charge', async () => {
    stripe.failNext({ kind: 'delay_after_acting', ms: 400 });
    const slow = payments.charge(charge(), { idempotencyKey: 'key_slow' });
    // The first request has reached the processor (which is holding its answer).
    while (stripe.requests.length < 1) await new Promise((r) => setTimeout(r, 5));
    const error = await failure(payments.charge(charge(), { idempotencyKey: 'key_slow' }));
    expect(error.code).toBe('vendor_unavailable');
    expect((await slow).paymentIntentId).toBe(stripe.charges()[0]?.id);
    expect(stripe.charges()).toHaveLength(1);
  });

  it('says config_missing for a rejected secret key, and never puts the key in the error', async () => {
    const wrong = createStripePaymentProvider({ baseUrl: stripe.url, secretKey: 'sk_test_wrong_secret', timeoutMs: 2_000 });
    const error = await failure(wrong.charge(charge(), { idempotencyKey: 'key_auth' }));
    expect(error.code).toBe('config_missing');
    expect(JSON.stringify({ message: error.message, details: error.details, stack: error.stack })).not.toContain('sk_test_wrong_secret');
  });

  it('refuses to build without a secret key or with a bad base URL', () => {
    expect(() => createStripePaymentProvider({ baseUrl: stripe.url, secretKey: ' ', timeoutMs: 2_000 })).toThrow(/secretKey/);
    expect(() => createStripePaymentProvider({ baseUrl: 'not a url', secretKey: 'sk', timeoutMs: 2_000 })).toThrow(/baseUrl/);
  });
});

describe('Stripe-Version', () => {
  it('every request pins the API version the adapter was written against, the one the stand-in speaks', async () => {
    expect(STRIPE_API_VERSION).toBe(STANDIN_STRIPE_VERSION);
    const paid = await payments.charge(charge(), { idempotencyKey: 'key_version' });
    await payments.findCharge('key_version');
    await payments.refund({ paymentIntentId: paid.paymentIntentId, amountMinor: 100, metadata: {} }, { idempotencyKey: 'ref_version' });
    await payments.findRefund(paid.paymentIntentId, 'ref_version');
    expect(stripe.requests.map((r) => [r.method, r.path, r.stripeVersion])).toEqual([
      ['POST', '/v1/payment_intents', STANDIN_STRIPE_VERSION],
      ['GET', '/v1/payment_intents/search', STANDIN_STRIPE_VERSION],
      ['POST', '/v1/refunds', STANDIN_STRIPE_VERSION],
      ['GET', '/v1/refunds', STANDIN_STRIPE_VERSION],
    ]);
  });

  it.each([
    ['without the header', {}],
    ['with another version', { 'stripe-version': '2020-08-27' }],
  ])('the stand-in refuses a request %s before doing anything', async (_label, extra: Record<string, string>) => {
    const res = await fetch(`${stripe.url}/v1/payment_intents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stripe.secretKey}`, 'content-type': 'application/x-www-form-urlencoded', ...extra },
      body: 'amount=100&currency=usd&payment_method=pm_card_visa&confirm=true',
    });
    expect(res.status).toBe(400);
    expect(((await res.json()) as { error: { code: string } }).error.code).toBe('api_version_invalid');
    expect(stripe.intents).toHaveLength(0);
  });
});

describe('beyond the 24 h key window', () => {
  it('the processor has forgotten the key: a repeat charges again, so the lookup by metadata must come first', async () => {
    stripe.setKeyTtlMs(0);
    stripe.failNext({ kind: 'reset_after_acting' });
    await failure(payments.charge(charge(), { idempotencyKey: 'key_old' }));
    expect(stripe.charges()).toHaveLength(1);

    const found = await payments.findCharge('key_old');
    expect(found?.paymentIntentId).toBe(stripe.charges()[0]?.id);
    expect(await payments.findCharge('key_never_used')).toBeNull();

    // chargeOnce for a trigger older than the window finds the charge instead of making another.
    const triggeredAt = new Date(Date.now() - 25 * 60 * 60_000);
    const settled = await chargeOnce(payments, charge(), { idempotencyKey: 'key_old', triggeredAt, signal: new AbortController().signal });
    expect(settled.paymentIntentId).toBe(found?.paymentIntentId);
    expect(stripe.charges()).toHaveLength(1);

    // Without the lookup the forgotten key really does charge twice: what the lookup prevents.
    await payments.charge(charge(), { idempotencyKey: 'key_old' });
    expect(stripe.charges()).toHaveLength(2);
  });

  it('a young trigger is not looked up (search is eventually consistent; the key is still remembered)', async () => {
    await chargeOnce(payments, charge(), { idempotencyKey: 'key_young', triggeredAt: new Date(), signal: new AbortController().signal });
    expect(stripe.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /v1/payment_intents']);
  });
});

describe('refund', () => {
  it('refunds part, then the rest, each once per key, and finds a refund by its key', async () => {
    const paid = await payments.charge(charge('pm_card_visa', 5000), { idempotencyKey: 'key_paid' });
    const part = await payments.refund({ paymentIntentId: paid.paymentIntentId, amountMinor: 2000, metadata: {} }, { idempotencyKey: 'ref_1' });
    expect(part).toMatchObject({ paymentIntentId: paid.paymentIntentId, amountMinor: 2000, status: 'succeeded' });
    const replay = await payments.refund({ paymentIntentId: paid.paymentIntentId, amountMinor: 2000, metadata: {} }, { idempotencyKey: 'ref_1' });
    expect(replay.refundId).toBe(part.refundId);
    const rest = await payments.refund({ paymentIntentId: paid.paymentIntentId, metadata: {} }, { idempotencyKey: 'ref_2' });
    expect(rest.amountMinor).toBe(3000);
    expect(stripe.refunds).toHaveLength(2);
    expect((await payments.findRefund(paid.paymentIntentId, 'ref_2'))?.refundId).toBe(rest.refundId);
    expect(await payments.findRefund(paid.paymentIntentId, 'ref_none')).toBeNull();
  });

  it('refuses refunding more than is left, or an unknown PaymentIntent, as invalid_input with the code', async () => {
    const paid = await payments.charge(charge('pm_card_visa', 1000), { idempotencyKey: 'key_small' });
    const tooMuch = await failure(payments.refund({ paymentIntentId: paid.paymentIntentId, amountMinor: 1001, metadata: {} }, { idempotencyKey: 'ref_big' }));
    expect(tooMuch.code).toBe('invalid_input');
    expect(tooMuch.details?.['vendorCode']).toBe('amount_too_large');
    const missing = await failure(payments.refund({ paymentIntentId: 'pi_missing', metadata: {} }, { idempotencyKey: 'ref_missing' }));
    expect(missing.details?.['vendorCode']).toBe('resource_missing');
    expect(stripe.refunds).toHaveLength(0);
  });
});
