/**
 * Stripe's error answers, read by our adapter and by Stripe's official Node library (the oracle) on
 * the same bytes over a real socket: the library's error class and whether it retries decide what our
 * code must be. The library classifies on the status and `error.type` (not `error.code` alone) and
 * obeys `Stripe-Should-Retry`; so must we.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { classifyFailure, WorkflowError } from '@revos/envelope';
import Stripe from 'stripe';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createStripePaymentProvider, STRIPE_API_VERSION, VENDOR_USER_AGENT } from '@revos/workflows';

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** A stand-in that plays one answer to every request and records what arrived. */
let answer: Answer;
let received: IncomingMessage[] = [];
let server: Server;
let baseUrl: string;
const sockets = new Set<Socket>();

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    received.push(req);
    req.resume();
    req.on('end', () => {
      res.writeHead(answer.status, { 'content-type': 'application/json', 'request-id': 'req_test', ...answer.headers });
      res.end(JSON.stringify(answer.body));
    });
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

beforeEach(() => {
  received = [];
});

const KEY = 'sk_test_conformance';
const library = () =>
  new Stripe(KEY, {
    host: '127.0.0.1',
    port: Number(new URL(baseUrl).port),
    protocol: 'http',
    // One retry allowed: a second request means the library would retry this answer.
    maxNetworkRetries: 1,
    telemetry: false,
  });

/** The library's reading of the answer: its error class and whether it sent the request again. */
async function libraryVerdict(): Promise<{ errorClass: string; retried: boolean }> {
  received = [];
  const error = await library()
    .paymentIntents.create({ amount: 2500, currency: 'usd', payment_method: 'pm_card_visa', confirm: true, off_session: true }, { idempotencyKey: 'key-1' })
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(Stripe.errors.StripeError);
  return { errorClass: (error as Error).constructor.name, retried: received.length > 1 };
}

async function ourVerdict(): Promise<WorkflowError> {
  received = [];
  const payments = createStripePaymentProvider({ baseUrl, secretKey: KEY, timeoutMs: 5_000 });
  const error = await payments
    .charge({ amountMinor: 2500, currency: 'usd', paymentMethod: 'pm_card_visa', metadata: { purpose: 'copay' } }, { idempotencyKey: 'key-1' })
    .then(
      () => null,
      (e: unknown) => e,
    );
  expect(error).toBeInstanceOf(WorkflowError);
  expect(received).toHaveLength(1);
  return error as WorkflowError;
}

const error = (type: string, code?: string, extra: Record<string, unknown> = {}) => ({
  error: { type, message: 'Stripe says no', ...(code === undefined ? {} : { code }), ...extra },
});

/** [case, answer, the library's class, whether it retries, our code]. */
const CASES: [string, Answer, string, boolean, string][] = [
  ['400 idempotency_error without a code', { status: 400, body: error('idempotency_error') }, 'StripeIdempotencyError', false, 'idempotency_conflict'],
  ['404 idempotency_error', { status: 404, body: error('idempotency_error') }, 'StripeIdempotencyError', false, 'idempotency_conflict'],
  ['400 rate_limit', { status: 400, body: error('invalid_request_error', 'rate_limit') }, 'StripeRateLimitError', false, 'rate_limited'],
  ['429 lock_timeout, Stripe-Should-Retry: true', { status: 429, headers: { 'stripe-should-retry': 'true' }, body: error('invalid_request_error', 'lock_timeout') }, 'StripeRateLimitError', true, 'rate_limited'],
  ['400 lock_timeout, Stripe-Should-Retry: true', { status: 400, headers: { 'stripe-should-retry': 'true' }, body: error('invalid_request_error', 'lock_timeout') }, 'StripeInvalidRequestError', true, 'rate_limited'],
  ['429 rate_limit_error', { status: 429, body: error('rate_limit_error') }, 'StripeRateLimitError', false, 'rate_limited'],
  ['400 parameter_missing', { status: 400, body: error('invalid_request_error', 'parameter_missing') }, 'StripeInvalidRequestError', false, 'invalid_input'],
  ['400 with Stripe-Should-Retry: true', { status: 400, headers: { 'stripe-should-retry': 'true' }, body: error('invalid_request_error', 'parameter_invalid_integer') }, 'StripeInvalidRequestError', true, 'vendor_unavailable'],
  ['402 card_error', { status: 402, body: error('card_error', 'card_declined', { decline_code: 'insufficient_funds' }) }, 'StripeCardError', false, 'payment_declined'],
  ['401 bad key', { status: 401, body: error('invalid_request_error') }, 'StripeAuthenticationError', false, 'config_missing'],
  ['403 restricted key', { status: 403, body: error('invalid_request_error') }, 'StripePermissionError', false, 'config_missing'],
  ['409 key in use', { status: 409, body: error('idempotency_error', 'idempotency_key_in_use') }, 'StripeAPIError', true, 'vendor_unavailable'],
  ['409, Stripe-Should-Retry: false', { status: 409, headers: { 'stripe-should-retry': 'false' }, body: error('idempotency_error', 'idempotency_key_in_use') }, 'StripeAPIError', false, 'effect_outcome_unknown'],
  ['500 api_error', { status: 500, body: error('api_error') }, 'StripeAPIError', true, 'vendor_unavailable'],
  ['500, Stripe-Should-Retry: false', { status: 500, headers: { 'stripe-should-retry': 'false' }, body: error('api_error') }, 'StripeAPIError', false, 'effect_outcome_unknown'],
];

describe("Stripe's error answers: our reading against the official library's", () => {
  it.each(CASES)('%s', async (_name, played, errorClass, retried, code) => {
    answer = played;
    // The oracle first: the table must say what the library does.
    expect(await libraryVerdict()).toEqual({ errorClass, retried });
    const ours = await ourVerdict();
    expect(ours.code).toBe(code);
    // Where the library retries, we retry; a rate limit is retryable for us even where the library
    // leaves the retry to its caller (it does not retry a 429 on its own).
    expect(classifyFailure(ours.code).retryable).toBe(retried || errorClass === 'StripeRateLimitError');
  });

  it('keeps the decline code and the vendor code, never the message', async () => {
    answer = { status: 402, body: error('card_error', 'card_declined', { decline_code: 'insufficient_funds', message: 'Card of Jane Doe declined' }) };
    const ours = await ourVerdict();
    expect(ours.details).toMatchObject({ declineCode: 'insufficient_funds', vendorCode: 'card_declined', vendorErrorType: 'card_error' });
    expect(JSON.stringify({ m: ours.message, d: ours.details })).not.toContain('Jane');
  });
});

describe('what we send Stripe', () => {
  it('a deliberate Stripe-Version and a User-Agent of our own', async () => {
    answer = { status: 500, body: error('api_error') };
    await ourVerdict();
    expect(received[0]!.headers['stripe-version']).toBe(STRIPE_API_VERSION);
    expect(received[0]!.headers['user-agent']).toBe(`${VENDOR_USER_AGENT} stripe-api/${STRIPE_API_VERSION}`);
  });
});
