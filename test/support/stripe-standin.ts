/**
 * A local stand-in for Stripe's PaymentIntents and Refunds API, speaking its shapes over a real socket:
 * form-encoded bodies (`metadata[key]=value`), bearer auth, `Idempotency-Key`, search and list pages,
 * and error bodies `{ error: { type, code, decline_code, message } }`.
 *
 * It speaks one API version, {@link STANDIN_STRIPE_VERSION}, written down here on its own (not imported
 * from the adapter, so a change there shows up): a request without `Stripe-Version`, or with another
 * one, is refused 400 `api_version_invalid` before anything is done, so an adapter that forgot to pin
 * it, or pinned another, fails every test that reaches Stripe.
 *
 * Idempotency as Stripe documents it: the first answer for a key is stored with the request's body; the
 * same key and body replay that answer (header `Idempotent-Replayed: true`); the same key with another
 * body is 400 `idempotency_error`; a key still being processed is 409; keys are forgotten after
 * `keyTtlMs` (24 h by default, settable for tests).
 *
 * Payment methods behave like Stripe's test methods: `pm_card_visa` (and any other `pm_…`) succeeds,
 * `pm_card_chargeDeclined` declines `generic_decline`, `pm_card_chargeDeclinedInsufficientFunds`
 * declines `insufficient_funds`, `pm_card_authenticationRequired` needs the patient present.
 *
 * Faults (`failNext`) land on the next POSTs: `reset_after_acting`, `error_500_after_acting` and
 * `non_json_2xx_after_acting` do the work (the charge exists, the key's answer is stored) and then lose
 * the answer on the wire; `outage_503` refuses before acting; `reset_before_acting` cuts the connection
 * before acting (nothing is charged, yet the caller cannot tell); `delay_after_acting` holds the answer
 * for a while (a worker can be killed mid-call).
 *
 * Lookups can lag creation as Stripe's search does: `lagNextSearch()` hides everything from the next
 * search, `setListingLagMs(ms)` keeps each new charge and refund out of searches and refund lists for
 * `ms` after it was created.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/** The only Stripe API version the stand-in answers (the shapes below are that version's). */
export const STANDIN_STRIPE_VERSION = '2024-06-20';

export type StripeFault =
  | { kind: 'reset_after_acting' }
  | { kind: 'reset_before_acting' }
  | { kind: 'error_500_after_acting' }
  | { kind: 'non_json_2xx_after_acting' }
  | { kind: 'outage_503' }
  | { kind: 'delay_after_acting'; ms: number };

export interface StripeIntent {
  id: string;
  object: 'payment_intent';
  amount: number;
  currency: string;
  status: string;
  payment_method: string;
  customer: string | null;
  metadata: Record<string, string>;
  last_payment_error: { code: string; decline_code?: string } | null;
  amount_refunded: number;
  created: number;
}

export interface StripeRefund {
  id: string;
  object: 'refund';
  amount: number;
  currency: string;
  status: string;
  payment_intent: string;
  reason: string | null;
  metadata: Record<string, string>;
  created: number;
}

export interface StripeRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  idempotencyKey: string | null;
  /** The `Stripe-Version` header as sent (null when absent). */
  stripeVersion: string | null;
  /** Decoded form fields (`metadata[x]` kept as such). */
  form: Record<string, string>;
  rawBody: string;
  receivedAt: Date;
}

export interface StripeStandin {
  url: string;
  secretKey: string;
  requests: StripeRequest[];
  /** Every PaymentIntent created, declined ones included, in creation order. */
  intents: StripeIntent[];
  refunds: StripeRefund[];
  /** PaymentIntents that took money (`succeeded`). */
  charges(): StripeIntent[];
  /** Queue faults for the next POSTs (payment_intents and refunds alike). */
  failNext(...faults: StripeFault[]): void;
  /** The next payment_intents search lists nothing (Stripe's search is eventually consistent: a new charge can lag). */
  lagNextSearch(): void;
  /** Searches and refund lists show a new charge or refund only this long after its creation (0 by default). */
  setListingLagMs(ms: number): void;
  /** How long a key is remembered; 0 forgets at once (as if the 24 h window had passed). */
  setKeyTtlMs(ms: number): void;
  reset(): void;
  close(): Promise<void>;
}

interface StoredAnswer {
  bodyHash: string;
  status: number;
  body: unknown;
  storedAt: number;
  /** Set while the first request is still being processed. */
  inFlight: boolean;
}

const DAY_MS = 24 * 60 * 60_000;
const id = (prefix: string) => `${prefix}_${randomBytes(12).toString('hex')}`;

const DECLINES: Record<string, { code: string; decline_code?: string }> = {
  pm_card_chargeDeclined: { code: 'card_declined', decline_code: 'generic_decline' },
  pm_card_chargeDeclinedInsufficientFunds: { code: 'card_declined', decline_code: 'insufficient_funds' },
  pm_card_authenticationRequired: { code: 'authentication_required' },
};

function stripeError(status: number, type: string, code: string, message: string, extra: Record<string, unknown> = {}) {
  return { status, body: { error: { type, code, message, ...extra } } };
}

/** `metadata['k']:'v'` — the one search form our adapter uses. */
function parseSearch(query: string): { key: string; value: string } | null {
  const match = /^metadata\['([^']+)'\]:'([^']*)'$/.exec(query.trim());
  return match ? { key: match[1]!, value: match[2]! } : null;
}

function metadataOf(form: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(form)) {
    const match = /^metadata\[(.+)\]$/.exec(name);
    if (match) out[match[1]!] = value;
  }
  return out;
}

export async function startStripeStandin(options: { secretKey?: string; port?: number } = {}): Promise<StripeStandin> {
  const secretKey = options.secretKey ?? 'sk_test_standin';
  const requests: StripeRequest[] = [];
  const intents: StripeIntent[] = [];
  const refunds: StripeRefund[] = [];
  const answers = new Map<string, StoredAnswer>();
  const faults: StripeFault[] = [];
  let keyTtlMs = DAY_MS;
  let searchLags = false;
  let listingLagMs = 0;
  /** When each charge and refund was created, in ms (Stripe's `created` is whole seconds). */
  const createdAt = new Map<string, number>();
  const listed = (object: { id: string }) => Date.now() - (createdAt.get(object.id) ?? 0) >= listingLagMs;
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();

  function createIntent(form: Record<string, string>): { status: number; body: unknown } {
    const amount = Number(form['amount']);
    if (!Number.isInteger(amount) || amount < 1) return stripeError(400, 'invalid_request_error', 'parameter_invalid_integer', 'Invalid integer: amount', { param: 'amount' });
    if (!/^[a-z]{3}$/.test(form['currency'] ?? '')) return stripeError(400, 'invalid_request_error', 'parameter_invalid_string', 'Invalid currency', { param: 'currency' });
    const paymentMethod = form['payment_method'] ?? '';
    if (!paymentMethod.startsWith('pm_')) return stripeError(400, 'invalid_request_error', 'resource_missing', 'No such PaymentMethod', { param: 'payment_method' });
    if (form['confirm'] !== 'true') return stripeError(400, 'invalid_request_error', 'parameter_missing', 'this stand-in only confirms at once', { param: 'confirm' });
    const decline = DECLINES[paymentMethod];
    const intent: StripeIntent = {
      id: id('pi'),
      object: 'payment_intent',
      amount,
      currency: form['currency']!,
      status: decline ? 'requires_payment_method' : 'succeeded',
      payment_method: paymentMethod,
      customer: form['customer'] ?? null,
      metadata: metadataOf(form),
      last_payment_error: decline ?? null,
      amount_refunded: 0,
      created: Math.floor(Date.now() / 1000),
    };
    intents.push(intent);
    createdAt.set(intent.id, Date.now());
    if (decline) {
      return stripeError(402, 'card_error', decline.code, 'Your card was declined.', {
        ...(decline.decline_code ? { decline_code: decline.decline_code } : {}),
        payment_intent: intent,
      });
    }
    return { status: 200, body: intent };
  }

  function createRefund(form: Record<string, string>): { status: number; body: unknown } {
    const intent = intents.find((i) => i.id === form['payment_intent']);
    if (!intent) return stripeError(400, 'invalid_request_error', 'resource_missing', 'No such payment_intent', { param: 'payment_intent' });
    if (intent.status !== 'succeeded') return stripeError(400, 'invalid_request_error', 'charge_not_refundable', 'This charge cannot be refunded');
    const remaining = intent.amount - intent.amount_refunded;
    if (remaining <= 0) return stripeError(400, 'invalid_request_error', 'charge_already_refunded', 'Charge has already been refunded.');
    const amount = form['amount'] === undefined ? remaining : Number(form['amount']);
    if (!Number.isInteger(amount) || amount < 1) return stripeError(400, 'invalid_request_error', 'parameter_invalid_integer', 'Invalid integer: amount', { param: 'amount' });
    if (amount > remaining) return stripeError(400, 'invalid_request_error', 'amount_too_large', 'Refund amount is greater than unrefunded amount');
    intent.amount_refunded += amount;
    const refund: StripeRefund = {
      id: id('re'),
      object: 'refund',
      amount,
      currency: intent.currency,
      status: 'succeeded',
      payment_intent: intent.id,
      reason: form['reason'] ?? null,
      metadata: metadataOf(form),
      created: Math.floor(Date.now() / 1000),
    };
    refunds.push(refund);
    createdAt.set(refund.id, Date.now());
    return { status: 200, body: refund };
  }

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    res.writeHead(status, { 'content-type': 'application/json', 'request-id': id('req'), ...headers });
    res.end(JSON.stringify(body));
  }

  /** Sends `answer` through the fault queued for this request, if any. */
  function deliver(res: ServerResponse, fault: StripeFault | undefined, answer: { status: number; body: unknown }, headers: Record<string, string> = {}): void {
    switch (fault?.kind) {
      case undefined:
        return send(res, answer.status, answer.body, headers);
      case 'reset_after_acting':
      case 'reset_before_acting':
        res.socket?.destroy();
        return;
      case 'error_500_after_acting':
        return send(res, 500, { error: { type: 'api_error', message: 'An unknown error occurred' } });
      case 'non_json_2xx_after_acting':
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end('<html><body>upstream proxy</body></html>');
        return;
      case 'delay_after_acting': {
        const timer = setTimeout(() => {
          timers.delete(timer);
          send(res, answer.status, answer.body, headers);
        }, fault.ms);
        timers.add(timer);
        return;
      }
      case 'outage_503':
        return send(res, 503, { error: { type: 'api_error', message: 'Service unavailable' } });
    }
  }

  function handlePost(req: StripeRequest, res: ServerResponse, act: () => { status: number; body: unknown }): void {
    const fault = faults.shift();
    if (fault?.kind === 'outage_503' || fault?.kind === 'reset_before_acting') return deliver(res, fault, { status: 503, body: null });
    const key = req.idempotencyKey;
    if (key === null) return deliver(res, fault, act());
    const bodyHash = createHash('sha256').update(`${req.path}\n${req.rawBody}`).digest('hex');
    const stored = answers.get(key);
    if (stored && Date.now() - stored.storedAt < keyTtlMs) {
      if (stored.bodyHash !== bodyHash) {
        const err = stripeError(400, 'idempotency_error', 'idempotency_error', 'Keys for idempotent requests can only be used with the same parameters they were first used with.');
        return deliver(res, fault, err);
      }
      if (stored.inFlight) {
        return deliver(res, fault, stripeError(409, 'idempotency_error', 'idempotency_key_in_use', 'There is currently another in-progress request using this Idempotent Key.'));
      }
      return deliver(res, fault, { status: stored.status, body: stored.body }, { 'idempotent-replayed': 'true' });
    }
    const answer = act();
    const entry: StoredAnswer = { bodyHash, status: answer.status, body: answer.body, storedAt: Date.now(), inFlight: fault?.kind === 'delay_after_acting' };
    answers.set(key, entry);
    if (entry.inFlight && fault?.kind === 'delay_after_acting') {
      const timer = setTimeout(() => {
        timers.delete(timer);
        entry.inFlight = false;
      }, fault.ms);
      timers.add(timer);
    }
    deliver(res, fault, answer);
  }

  function route(req: StripeRequest, res: ServerResponse): void {
    if (req.method === 'POST' && req.path === '/v1/payment_intents') return handlePost(req, res, () => createIntent(req.form));
    if (req.method === 'POST' && req.path === '/v1/refunds') return handlePost(req, res, () => createRefund(req.form));
    if (req.method === 'GET' && req.path === '/v1/payment_intents/search') {
      const search = parseSearch(req.query['query'] ?? '');
      if (!search) return send(res, 400, { error: { type: 'invalid_request_error', code: 'parameter_invalid_string', message: 'Invalid search query', param: 'query' } });
      const data = searchLags ? [] : intents.filter((i) => i.metadata[search.key] === search.value && listed(i));
      searchLags = false;
      return send(res, 200, { object: 'search_result', url: '/v1/payment_intents/search', has_more: false, next_page: null, data });
    }
    if (req.method === 'GET' && req.path === '/v1/refunds') {
      const data = refunds.filter((r) => (req.query['payment_intent'] === undefined || r.payment_intent === req.query['payment_intent']) && listed(r));
      return send(res, 200, { object: 'list', url: '/v1/refunds', has_more: false, data });
    }
    const intent = /^\/v1\/payment_intents\/(pi_[A-Za-z0-9]+)$/.exec(req.path);
    if (req.method === 'GET' && intent) {
      const found = intents.find((i) => i.id === intent[1]);
      return found ? send(res, 200, found) : send(res, 404, { error: { type: 'invalid_request_error', code: 'resource_missing', message: 'No such payment_intent' } });
    }
    send(res, 404, { error: { type: 'invalid_request_error', message: 'Unrecognized request URL' } });
  }

  const server = createServer((req: IncomingMessage, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const chunk of req) chunks.push(chunk as Buffer);
      const rawBody = Buffer.concat(chunks).toString('utf8');
      const target = new URL(req.url ?? '/', 'http://standin');
      const rawKey = req.headers['idempotency-key'];
      const rawVersion = req.headers['stripe-version'];
      const recorded: StripeRequest = {
        method: req.method ?? 'GET',
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        idempotencyKey: typeof rawKey === 'string' ? rawKey : null,
        stripeVersion: typeof rawVersion === 'string' ? rawVersion : null,
        form: Object.fromEntries(new URLSearchParams(rawBody)),
        rawBody,
        receivedAt: new Date(),
      };
      requests.push(recorded);
      if (req.headers.authorization !== `Bearer ${secretKey}`) {
        return send(res, 401, { error: { type: 'invalid_request_error', message: 'Invalid API Key provided' } });
      }
      if (recorded.stripeVersion !== STANDIN_STRIPE_VERSION) {
        return send(res, 400, {
          error: { type: 'invalid_request_error', code: 'api_version_invalid', message: `this stand-in speaks Stripe-Version ${STANDIN_STRIPE_VERSION} only` },
        });
      }
      route(recorded, res);
    })().catch(() => res.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;

  return {
    url: `http://127.0.0.1:${port}`,
    secretKey,
    requests,
    intents,
    refunds,
    charges: () => intents.filter((i) => i.status === 'succeeded'),
    failNext: (...more) => void faults.push(...more),
    lagNextSearch: () => void (searchLags = true),
    setListingLagMs: (ms) => void (listingLagMs = ms),
    setKeyTtlMs: (ms) => void (keyTtlMs = ms),
    reset() {
      requests.length = 0;
      intents.length = 0;
      refunds.length = 0;
      answers.clear();
      faults.length = 0;
      keyTtlMs = DAY_MS;
      searchLags = false;
      listingLagMs = 0;
      createdAt.clear();
    },
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
