/**
 * Card payments in the shape of Stripe's REST API (the processor most practices use):
 * - `POST {baseUrl}/v1/payment_intents` form `amount, currency, payment_method, confirm=true,
 *   off_session=true, customer?, metadata[...]`, header `Idempotency-Key` → a PaymentIntent
 * - `GET {baseUrl}/v1/payment_intents/search?query=metadata['revos_effect']:'…'` → `{ data: [PaymentIntent] }`
 * - `POST {baseUrl}/v1/refunds` form `payment_intent, amount?, reason?, metadata[...]` → a Refund
 * - `GET {baseUrl}/v1/refunds?payment_intent=pi_…&limit=100` → `{ data: [Refund], has_more }`
 *
 * Every request pins {@link STRIPE_API_VERSION} in `Stripe-Version`, so the shapes read here do not change
 * when someone upgrades the account's default version in Stripe's dashboard.
 *
 * "Once" for this vendor: Stripe keeps an idempotency key for 24 hours and answers a repeat of the same
 * key and body with the first answer. Every request also carries our effect token in
 * `metadata[revos_effect]`, and `findCharge` / `findRefund` look the operation up by it: a lost answer
 * is settled by that lookup (the workflows' `reconcile`), and past the key's window a repeat looks first.
 *
 * No card data ever passes through here: a charge names a saved payment method (`pm_…`).
 */
import { classifyFailure, WorkflowError } from '@revos/envelope';
import { z } from 'zod';
import { joinUrl, parseVendorJson, requireAdapterConfig, VENDOR_USER_AGENT, vendorRequest, type VendorResponse } from './http.js';

const STRIPE_SERVICE = 'stripe';
/**
 * The Stripe API version this adapter was written against (the PaymentIntent, Refund, search and error
 * shapes above), sent as `Stripe-Version` on every request. Change it only together with those shapes
 * and the stand-in (test/support/stripe-standin.ts), which refuses any other version.
 */
export const STRIPE_API_VERSION = '2024-06-20';
/** Stripe's documented idempotency window. */
export const STRIPE_IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60_000;
/** Metadata key holding our effect token on every PaymentIntent and Refund we create. */
export const EFFECT_METADATA_KEY = 'revos_effect';

export interface StripeOptions {
  /** `https://api.stripe.com` in production, a stand-in in tests. */
  baseUrl: string;
  /** Secret or restricted key (`sk_…`/`rk_…`), sent as a bearer token. Never logged. */
  secretKey: string;
  /** Per-call budget in milliseconds (connect + response). */
  timeoutMs: number;
}

export interface PaymentCallOptions {
  signal?: AbortSignal;
  /** Sent as `Idempotency-Key` and stored as `metadata[revos_effect]`; the same on every retry of one operation. */
  idempotencyKey: string;
}

export interface ChargeInput {
  /** Amount in the currency's minor unit (cents for USD). */
  amountMinor: number;
  /** ISO 4217, lower case (`usd`). */
  currency: string;
  /** A saved payment method (`pm_…`). */
  paymentMethod: string;
  /** The processor's customer the method belongs to (`cus_…`), when it is attached to one. */
  customer?: string;
  /** Ids only (tenant, run): Stripe's dashboard shows metadata to anyone with access. */
  metadata: Record<string, string>;
}

export const PaymentIntent = z.object({
  id: z.string().regex(/^pi_/),
  amount: z.number().int(),
  currency: z.string(),
  status: z.string().min(1),
  metadata: z.record(z.string(), z.string()).default({}),
  last_payment_error: z.object({ code: z.string().optional(), decline_code: z.string().optional() }).nullable().optional(),
});
export type PaymentIntent = z.infer<typeof PaymentIntent>;

export const Refund = z.object({
  id: z.string().regex(/^re_/),
  amount: z.number().int(),
  currency: z.string(),
  status: z.string().min(1),
  payment_intent: z.string().nullable(),
  metadata: z.record(z.string(), z.string()).default({}),
});
export type Refund = z.infer<typeof Refund>;

const SearchResult = z.object({ data: z.array(PaymentIntent) });
const RefundList = z.object({ data: z.array(Refund), has_more: z.boolean().default(false) });

/** What a charge came to. Never holds card data. */
export interface ChargeResult {
  paymentIntentId: string;
  amountMinor: number;
  currency: string;
  /** `succeeded` or `processing` (bank debits settle later). */
  status: string;
  latencyMs: number;
}

export interface RefundInput {
  paymentIntentId: string;
  /** Omitted: the whole remaining amount. */
  amountMinor?: number;
  reason?: 'duplicate' | 'fraudulent' | 'requested_by_customer';
  metadata: Record<string, string>;
}

export interface RefundResult {
  refundId: string;
  paymentIntentId: string;
  amountMinor: number;
  currency: string;
  /** `succeeded` or `pending`. */
  status: string;
  latencyMs: number;
}

/** Charges saved payment methods and refunds them. Throws a `WorkflowError` on any failure. */
export interface PaymentProvider {
  /** How long the processor remembers an idempotency key; past it, look the operation up before repeating it. */
  readonly idempotencyWindowMs: number;
  /**
   * Creates and confirms a PaymentIntent. A decline (or a method that needs the patient present) is
   * `payment_declined` with `details.declineCode`; the processor's outages are retryable codes.
   */
  charge(input: ChargeInput, options: PaymentCallOptions): Promise<ChargeResult>;
  /** The PaymentIntent an earlier `charge` with this idempotency key created, or null. */
  findCharge(idempotencyKey: string, options?: { signal?: AbortSignal }): Promise<ChargeResult | null>;
  refund(input: RefundInput, options: PaymentCallOptions): Promise<RefundResult>;
  /** The refund of `paymentIntentId` an earlier `refund` with this idempotency key created, or null. */
  findRefund(paymentIntentId: string, idempotencyKey: string, options?: { signal?: AbortSignal }): Promise<RefundResult | null>;
}

/** Statuses of a confirmed PaymentIntent that mean the money is (or will be) collected. */
const COLLECTED = new Set(['succeeded', 'processing', 'requires_capture']);
const REFUNDED = new Set(['succeeded', 'pending']);

/** Stripe-style form fields: nested objects become `metadata[key]=value`. */
function form(fields: Record<string, string | number | boolean | undefined>, metadata: Record<string, string>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) params.append(name, String(value));
  for (const [name, value] of Object.entries(metadata)) params.append(`metadata[${name}]`, value);
  return params.toString();
}

function declined(endpoint: string, declineCode: string, details: Record<string, unknown>): WorkflowError {
  return new WorkflowError('payment_declined', `${STRIPE_SERVICE} ${endpoint}: payment declined (${declineCode})`, {
    details: { ...details, declineCode },
  });
}

/** Stripe's answer to "may this request be sent again?", read like its library does. */
export const STRIPE_SHOULD_RETRY_HEADER = 'stripe-should-retry';

/** Stripe error codes of a request refused for load, not for its content: the same request later passes. */
const STRIPE_TRANSIENT_CODES = new Set(['rate_limit', 'lock_timeout']);

/**
 * Stripe's own error semantics on top of the generic HTTP mapping, classified as the official
 * library classifies them (on `error.type` and the status, not on `error.code` alone) and retried
 * when it would retry them:
 * - 402 is a decline (`payment_declined` with the issuer's `decline_code`)
 * - 429, or a 400 `rate_limit` / `lock_timeout`, is load (`rate_limited`, nothing was done)
 * - a 400/404 of `type: idempotency_error` is our key reused for another body (a `code` is optional):
 *   never papered over by a new key (`idempotency_conflict`)
 * - `Stripe-Should-Retry: true` makes any refusal retryable; `false` makes a 409 or 5xx terminal
 *   (Stripe would replay the same answer for the same key); without it a 409 (the same key still in
 *   flight) and a 5xx are retried
 */
function mapStripeError(error: unknown, endpoint: string): never {
  if (!(error instanceof WorkflowError)) throw error;
  const details = error.details ?? {};
  const status = details['httpStatus'];
  const vendorCode = typeof details['vendorCode'] === 'string' ? details['vendorCode'] : undefined;
  const type = details['vendorErrorType'];
  const headers = (details['headers'] ?? {}) as Record<string, string>;
  const shouldRetry = headers[STRIPE_SHOULD_RETRY_HEADER];
  const keep = {
    details,
    cause: error,
    ...(error.outcome === undefined ? {} : { outcome: error.outcome }),
    ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
  };
  if (status === 402) {
    const declineCode = typeof details['declineCode'] === 'string' ? details['declineCode'] : (vendorCode ?? 'card_declined');
    throw declined(endpoint, declineCode, details);
  }
  if (status === 429 || type === 'rate_limit_error' || (vendorCode !== undefined && STRIPE_TRANSIENT_CODES.has(vendorCode))) {
    throw new WorkflowError('rate_limited', `${STRIPE_SERVICE} ${endpoint}: rate limited${vendorCode ? ` (${vendorCode})` : ''}`, { ...keep, outcome: 'not_sent' });
  }
  // As the library: only a 400/404 is an idempotency error; a 409 is the same key still in flight.
  if ((status === 400 || status === 404) && (type === 'idempotency_error' || vendorCode === 'idempotency_error')) {
    throw new WorkflowError('idempotency_conflict', `${STRIPE_SERVICE} ${endpoint}: idempotency key reused with different parameters`, keep);
  }
  if (shouldRetry === 'true' && !classifyFailure(error.code).retryable) {
    throw new WorkflowError('vendor_unavailable', `${STRIPE_SERVICE} ${endpoint}: HTTP ${String(status)}, Stripe asks for a retry`, keep);
  }
  if (shouldRetry === 'false' && (status === 409 || (typeof status === 'number' && status >= 500))) {
    // The vendor may have acted (the runtime asks `findCharge` first); a repeat would be answered the same.
    throw new WorkflowError('effect_outcome_unknown', `${STRIPE_SERVICE} ${endpoint}: HTTP ${status}, Stripe says not to retry`, keep);
  }
  if (status === 409) {
    throw new WorkflowError('vendor_unavailable', `${STRIPE_SERVICE} ${endpoint}: the same idempotency key is still in progress`, keep);
  }
  throw error;
}

function toCharge(intent: PaymentIntent, latencyMs: number, endpoint: string): ChargeResult {
  if (!COLLECTED.has(intent.status)) {
    // A confirmed intent that is not collected was refused (e.g. `requires_payment_method`).
    const code = intent.last_payment_error?.decline_code ?? intent.last_payment_error?.code ?? intent.status;
    throw declined(endpoint, code, { service: STRIPE_SERVICE, endpoint, paymentIntentId: intent.id });
  }
  return { paymentIntentId: intent.id, amountMinor: intent.amount, currency: intent.currency, status: intent.status, latencyMs };
}

function toRefund(refund: Refund, latencyMs: number, endpoint: string): RefundResult {
  if (!REFUNDED.has(refund.status)) {
    throw new WorkflowError('invalid_input', `${STRIPE_SERVICE} ${endpoint}: refund ended ${refund.status}`, {
      details: { service: STRIPE_SERVICE, endpoint, refundId: refund.id, refundStatus: refund.status },
    });
  }
  return {
    refundId: refund.id,
    paymentIntentId: refund.payment_intent ?? '',
    amountMinor: refund.amount,
    currency: refund.currency,
    status: refund.status,
    latencyMs,
  };
}

/** Search queries quote values with `'`; our tokens are hex, but refuse anything that could break out. */
function searchValue(value: string): string {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(value)) {
    throw new WorkflowError('invalid_input', `${STRIPE_SERVICE}: idempotency key must be letters, digits, _ or -`, { details: { service: STRIPE_SERVICE } });
  }
  return value;
}

/** A {@link PaymentProvider} over Stripe's API. Throws `config_missing` at once if an option is empty. */
export function createStripePaymentProvider(options: StripeOptions & { idempotencyWindowMs?: number }): PaymentProvider {
  requireAdapterConfig(STRIPE_SERVICE, { baseUrl: options.baseUrl, secretKey: options.secretKey, timeoutMs: options.timeoutMs });
  const headers = (idempotencyKey: string | undefined, hasBody: boolean): Record<string, string> => ({
    authorization: `Bearer ${options.secretKey}`,
    accept: 'application/json',
    'stripe-version': STRIPE_API_VERSION,
    'user-agent': `${VENDOR_USER_AGENT} stripe-api/${STRIPE_API_VERSION}`,
    ...(hasBody ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
    ...(idempotencyKey === undefined ? {} : { 'idempotency-key': idempotencyKey }),
  });
  async function call(endpoint: string, method: 'GET' | 'POST', path: string, signal: AbortSignal | undefined, idempotencyKey?: string, body?: string): Promise<VendorResponse> {
    try {
      return await vendorRequest({
        service: STRIPE_SERVICE,
        endpoint,
        method,
        url: joinUrl(options.baseUrl, path),
        headers: headers(idempotencyKey, body !== undefined),
        ...(body === undefined ? {} : { body }),
        timeoutMs: options.timeoutMs,
        errorHeaders: [STRIPE_SHOULD_RETRY_HEADER],
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (error) {
      return mapStripeError(error, endpoint);
    }
  }
  const parse = <S extends z.ZodType>(schema: S, response: VendorResponse, endpoint: string): z.output<S> =>
    parseVendorJson(schema, response, { service: STRIPE_SERVICE, endpoint });

  return {
    idempotencyWindowMs: options.idempotencyWindowMs ?? STRIPE_IDEMPOTENCY_WINDOW_MS,
    async charge(input, callOptions) {
      const endpoint = 'payment_intents.create';
      const body = form(
        {
          amount: input.amountMinor,
          currency: input.currency,
          payment_method: input.paymentMethod,
          customer: input.customer,
          confirm: true,
          // Charged without the patient at a checkout page: an issuer that wants them present declines.
          off_session: true,
        },
        { ...input.metadata, [EFFECT_METADATA_KEY]: callOptions.idempotencyKey },
      );
      const response = await call(endpoint, 'POST', '/v1/payment_intents', callOptions.signal, callOptions.idempotencyKey, body);
      return toCharge(parse(PaymentIntent, response, endpoint), response.latencyMs, endpoint);
    },
    async findCharge(idempotencyKey, callOptions = {}) {
      const endpoint = 'payment_intents.search';
      const query = new URLSearchParams({ query: `metadata['${EFFECT_METADATA_KEY}']:'${searchValue(idempotencyKey)}'`, limit: '10' });
      const response = await call(endpoint, 'GET', `/v1/payment_intents/search?${query.toString()}`, callOptions.signal);
      const found = parse(SearchResult, response, endpoint).data.find((pi) => pi.metadata[EFFECT_METADATA_KEY] === idempotencyKey);
      return found ? toCharge(found, response.latencyMs, endpoint) : null;
    },
    async refund(input, callOptions) {
      const endpoint = 'refunds.create';
      const body = form(
        { payment_intent: input.paymentIntentId, amount: input.amountMinor, reason: input.reason },
        { ...input.metadata, [EFFECT_METADATA_KEY]: callOptions.idempotencyKey },
      );
      const response = await call(endpoint, 'POST', '/v1/refunds', callOptions.signal, callOptions.idempotencyKey, body);
      return toRefund(parse(Refund, response, endpoint), response.latencyMs, endpoint);
    },
    async findRefund(paymentIntentId, idempotencyKey, callOptions = {}) {
      const endpoint = 'refunds.list';
      // A PaymentIntent has few refunds; one page of 100 holds them all in practice.
      const query = new URLSearchParams({ payment_intent: paymentIntentId, limit: '100' });
      const response = await call(endpoint, 'GET', `/v1/refunds?${query.toString()}`, callOptions.signal);
      const found = parse(RefundList, response, endpoint).data.find((r) => r.metadata[EFFECT_METADATA_KEY] === idempotencyKey);
      return found ? toRefund(found, response.latencyMs, endpoint) : null;
    },
  };
}
