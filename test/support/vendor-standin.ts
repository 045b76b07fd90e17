/**
 * A local HTTP stand-in for the vendors (Twilio Messages/Calls, the PMS), so tests exercise the real
 * adapters over a real socket instead of stubbing functions.
 *
 * Routes are matched by method and path suffix (so a base URL with a prefix such as `${url}/pms` works):
 *
 * | route id       | request                                             | default answer                                  |
 * |----------------|-----------------------------------------------------|-------------------------------------------------|
 * | `sms`          | `POST …/2010-04-01/Accounts/:sid/Messages.json`     | 201 `{ sid: 'SM' + 32 hex, status: 'queued' }`   |
 * | `calls`        | `POST …/2010-04-01/Accounts/:sid/Calls.json`        | 201 `{ sid: 'CA' + 32 hex, status: 'queued' }`   |
 * | `appointments` | `POST …/appointments`                               | 201 `{ appointment_id: 'apt_…', status: 'booked' }`; as a real PMS, a repeated `Idempotency-Key` books nothing and gets the first booking back |
 * | `confirm`      | `POST …/appointments/:id/confirm`                   | 200 `{ appointment_id: :id, status: 'confirmed' }` |
 * | `slots`        | `GET …/slots`                                       | 200 `{ slots: [{ start, provider_id }] }`       |
 * | `free_slots`   | `GET …/slots/free?near=&limit=`                     | 200 the free half-hour slots nearest `near`, never one booked through `appointments` |
 * | `patients`     | `GET …/patients?phone=`                             | 200 `{ patients: [{ patient_id }] }` from `addPatient` |
 * | `sms_list`     | `GET …/2010-04-01/Accounts/:sid/Messages.json`      | 200 a Twilio list page of the created messages  |
 * | `calls_list`   | `GET …/2010-04-01/Accounts/:sid/Calls.json`         | 200 a Twilio list page of the created calls     |
 * | `appointments_lookup` | `GET …/appointments?idempotency_key=`        | 200 `{ appointments: [...] }` booked with that key |
 * | `appointments_list`   | `GET …/appointments?start_from=&start_to=&page_size=&page_token=` | 200 a page of the schedule `addAppointments` seeded (see below) |
 * | `unknown`      | anything else                                       | 404 `{ code: 'not_found' }`                     |
 *
 * Like the real vendors it keeps what it created: a 2xx create (or a misbehaving answer that says
 * `accept: true`: the vendor acted, then its answer was lost) stores a message, call or appointment
 * that the list routes return. Lists behave as Twilio's do: newest first, filtered by `To`, `From` and
 * `DateSent` / `DateSent<` / `DateSent>` (or `StartTime…` for calls) by day — a queued resource has no
 * DateSent yet, so a date filter does not return it — paged by `PageSize`/`Page` with `next_page_uri`,
 * and a resource shows up only `listingDelayMs` after it was created. The PMS dedupes bookings by
 * `Idempotency-Key` (a repeat answers with the appointment already booked).
 *
 * `script(route, [...])` queues answers consumed one per request; once the queue is empty the route's
 * default answers again. Every request is recorded, including those answered by `hang` or `destroy`.
 *
 * A create that names a `StatusCallback` (a message or a call) is remembered with it; `postStatus(sid,
 * status, { errorCode })` then plays Twilio's status callback: it POSTs Twilio's form to that URL,
 * signed (X-Twilio-Signature) with the auth token of the create's Basic auth, as Twilio signs with
 * the account's token, and updates the resource's status in the lists.
 *
 * The schedule (`addAppointments`) is what a practice's PMS holds: appointments with their patient's
 * id and mobile number, start (with an offset) and status (`booked`, `confirmed`, `cancelled`, ...).
 * `appointments_list` answers those starting in [`start_from`, `start_to`) of `practice_id` (when the
 * appointment names one), ordered by start then id, `page_size` (default 50, at most 500) a page, with
 * an opaque `next_page_token` (null on the last page). A bad `start_from`/`start_to` is a 400, as a PMS
 * answers. Script a fault on one page with `script('appointments_list', [...])` after
 * `defaultAnswer('appointments_list')` for the pages before it.
 *
 * `unsubscribe(number)` plays Twilio's carrier-side opt-out: a message to that number is answered
 * 400 `{ code: 21610, message: 'Attempt to send to unsubscribed recipient', ... }`, as Twilio does
 * once the number texted STOP to the sender.
 * {@link MISBEHAVIOUR} names the ways a vendor loses an answer.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type RouteId = 'sms' | 'calls' | 'appointments' | 'confirm' | 'slots' | 'free_slots' | 'patients' | 'sms_list' | 'calls_list' | 'appointments_lookup' | 'appointments_list' | 'unknown';

/** An appointment on the PMS's schedule, in the PMS's wire shape (`patient_phone` may be null: no mobile on record). */
export interface ScheduledAppointmentRecord {
  appointment_id: string;
  patient_id: string;
  patient_phone: string | null;
  /** The patient's email on record, if any (PHI, as the phone). */
  patient_email?: string | null;
  /** How the patient prefers reminders; absent: texts. */
  preferred_channel?: 'sms' | 'email';
  /** ISO 8601 with an offset, as the PMS writes it. */
  start: string;
  status: string;
  provider_id?: string;
  practice_id?: string;
}

export interface RecordedRequest {
  route: RouteId;
  method: string;
  /** Path without the query string. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  rawBody: string;
  /** Parsed when the content type is `application/x-www-form-urlencoded`. */
  form?: Record<string, string>;
  /** Parsed when the content type is JSON and the body parses. */
  json?: unknown;
  /** `appointments` only: the booking this request made (or found under its Idempotency-Key) on arrival. */
  booking?: { appointment_id: string; status: string };
  receivedAt: Date;
}

/**
 * How to answer one request:
 * - `{ status, body?, headers?, delayMs?, accept? }`: a string `body` is sent as is (for malformed bodies);
 *   any other value is sent as JSON; a function computes the body from the request. A 2xx to a create
 *   stores the resource; `accept: true` stores it whatever the status (a 504 from a gateway after the
 *   vendor acted, or an answer that comes after the client gave up).
 * - `{ hang: true, accept? }`: never answer; the socket is ended by the client or by `close()`.
 * - `{ destroy: true, accept? }`: read the request, then destroy the socket without answering (the
 *   client sees a reset after writing); with `accept: true` the vendor acted first.
 * - `{ cutBody: true }`: accept, send a 201 and half of its body, then destroy the socket.
 */
export type ScriptedResponse =
  | {
      status: number;
      body?: unknown;
      headers?: Record<string, string>;
      delayMs?: number;
      accept?: boolean;
    }
  | { hang: true; accept?: boolean }
  | { destroy: true; accept?: boolean }
  | { cutBody: true };

/** The ways a vendor loses its answer after acting, as the fault cases and tests name them. */
export const MISBEHAVIOUR = {
  /** Acted, then reset the connection before answering. */
  resetAfterRequest: { destroy: true, accept: true },
  /** Acted, sent the status line and part of the body, then reset. */
  resetMidBody: { cutBody: true },
  /** A gateway in front of the vendor answered 502/503/504 after the vendor acted. */
  gateway502: { status: 502, accept: true, body: '<html><body>502 Bad Gateway</body></html>', headers: { 'content-type': 'text/html' } },
  gateway503: { status: 503, accept: true, body: { code: 20503, message: 'Service Unavailable' } },
  gateway504: { status: 504, accept: true, body: '<html><body>504 Gateway Time-out</body></html>', headers: { 'content-type': 'text/html' } },
  /** Acted and answered 201 with a body that is not JSON. */
  nonJson2xx: { status: 201, body: 'Created', headers: { 'content-type': 'text/plain' } },
} as const satisfies Record<string, ScriptedResponse>;

/** Acted, and answered only after `delayMs` (longer than the client's timeout). */
export function lateAnswer(delayMs: number): ScriptedResponse {
  return { status: 201, delayMs, accept: true };
}

/** A message, call or appointment the stand-in created, in the vendor's list shape. */
export interface StoredResource {
  kind: 'message' | 'call' | 'appointment';
  id: string;
  createdAt: Date;
  /** Account the create was made under (Twilio); the list route only returns that account's resources. */
  accountSid?: string;
  idempotencyKey?: string;
  /** An appointment's slot start (ms): the free-slot route never offers it again. */
  slotStart?: number;
  fields: Record<string, unknown>;
  /** The `StatusCallback` the create named (messages and calls), and the token Twilio signs it with. */
  statusCallback?: { url: string; authToken: string };
}

/** What a status callback says besides the status; `authToken` signs with another token (a forger). */
export interface StatusPostOptions {
  errorCode?: string;
  authToken?: string;
}

export interface VendorStandin {
  /** `http://127.0.0.1:<port>`, no trailing slash. */
  url: string;
  /** Every request in arrival order. Cleared in place by `reset()`, so a held reference stays live. */
  requests: RecordedRequest[];
  /** Queue answers for the next requests to `route`, after any already queued. */
  script(route: RouteId, responses: ScriptedResponse[]): void;
  /** Replace the answer `route` gives once its queue is empty. */
  setDefault(route: RouteId, response: ScriptedResponse): void;
  /** How many requests `route` has received. */
  countFor(route: RouteId): number;
  /** From now on, texts to `number` are refused with Twilio's 21610 (the recipient unsubscribed). */
  unsubscribe(number: string): void;
  /** What the vendor created, in creation order (what a double send shows up in). */
  resources: StoredResource[];
  /** Resources become visible to the list routes only this long after creation (Twilio's listing lag). */
  setListingDelay(ms: number): void;
  /**
   * Lists return every account's resources, not only the requesting account's. For suites that give
   * each worker its own account sid to tell their requests apart, while in production all share one.
   */
  listAcrossAccounts(on: boolean): void;
  /** The `StatusCallback` URL the create of message or call `sid` named (undefined: none, or no such resource). */
  statusCallbackOf(sid: string): string | undefined;
  /** Plays Twilio's status callback of message or call `sid` to its `StatusCallback` (see the module comment). */
  postStatus(sid: string, status: string, options?: StatusPostOptions): Promise<Response>;
  /** Put appointments on the PMS's schedule (`appointments_list` pages through them). */
  addAppointments(appointments: ScheduledAppointmentRecord[]): void;
  /** The answer `route` gives when nothing is scripted (to script the pages before a fault). */
  defaultAnswer(route: RouteId): ScriptedResponse;
  /** Put a patient with this phone number on the PMS's records (`patients` answers with it). */
  addPatient(phone: string, patientId: string): void;
  /** Forget recorded requests, scripts, default overrides, created resources, unsubscribed numbers, patients and the schedule. */
  reset(): void;
  /** Destroy every socket (hanging requests included), cancel delayed answers and stop listening. */
  close(): Promise<void>;
}

export interface StandinOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
  /** See {@link VendorStandin.setListingDelay}; 0 by default. */
  listingDelayMs?: number;
  /** Every answer not scripted with its own delay comes this long after the request (a vendor's usual latency); 0 by default. */
  answerDelayMs?: number;
}

const ROUTES: { id: Exclude<RouteId, 'unknown'>; method: string; pattern: RegExp }[] = [
  { id: 'sms', method: 'POST', pattern: /\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/ },
  { id: 'calls', method: 'POST', pattern: /\/2010-04-01\/Accounts\/[^/]+\/Calls\.json$/ },
  { id: 'sms_list', method: 'GET', pattern: /\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/ },
  { id: 'calls_list', method: 'GET', pattern: /\/2010-04-01\/Accounts\/[^/]+\/Calls\.json$/ },
  { id: 'appointments', method: 'POST', pattern: /\/appointments$/ },
  { id: 'confirm', method: 'POST', pattern: /\/appointments\/[^/]+\/confirm$/ },
  { id: 'appointments_lookup', method: 'GET', pattern: /\/appointments$/ },
  { id: 'appointments_list', method: 'GET', pattern: /\/appointments$/ },
  { id: 'slots', method: 'GET', pattern: /\/slots$/ },
  { id: 'free_slots', method: 'GET', pattern: /\/slots\/free$/ },
  { id: 'patients', method: 'GET', pattern: /\/patients$/ },
];

function routeOf(method: string, path: string, query: URLSearchParams): RouteId {
  const route = ROUTES.find((r) => r.method === method && r.pattern.test(path))?.id ?? 'unknown';
  // One path, two reads: a lookup by idempotency key, or a page of the schedule.
  if (route === 'appointments_lookup' && !query.has('idempotency_key')) return 'appointments_list';
  return route;
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** Twilio's date format (RFC 2822 with a numeric zone), e.g. `Tue, 01 Dec 2026 17:53:58 +0000`. */
const twilioDate = (d: Date): string => d.toUTCString().replace('GMT', '+0000');

const accountOf = (path: string): string | undefined => /\/Accounts\/([^/]+)\//.exec(path)?.[1];
const keyOf = (request: RecordedRequest): string | undefined => {
  const raw = request.headers['idempotency-key'];
  return Array.isArray(raw) ? raw[0] : raw;
};

/** Creates vendor resources, keeps them, and answers the list routes from them. */
class ResourceStore {
  readonly resources: StoredResource[] = [];
  /** Messages and calls by sid: a search of `resources` per create made a long bench quadratic (1 ms a call at 100,000). */
  private readonly byId = new Map<string, StoredResource>();
  listingDelayMs = 0;
  acrossAccounts = false;

  /** One request creates at most one resource, however many times its answer is decided. */
  private readonly byRequest = new WeakMap<RecordedRequest, StoredResource>();

  /** The resource a create stands for: the one its body names (a deduping vendor's), else a new one. */
  create(route: RouteId, request: RecordedRequest, answered?: unknown): StoredResource | undefined {
    const already = this.byRequest.get(request);
    if (already) return already;
    const created = this.make(route, request, answered);
    if (created) this.byRequest.set(request, created);
    return created;
  }

  /** A message or call by sid. */
  byVendorSid(sid: string): StoredResource | undefined {
    return this.byId.get(sid);
  }

  /** Drops every resource (reset). */
  forget(): void {
    this.resources.length = 0;
    this.byId.clear();
  }

  private make(route: RouteId, request: RecordedRequest, answered?: unknown): StoredResource | undefined {
    const named = typeof answered === 'object' && answered !== null ? (answered as Record<string, unknown>) : {};
    const now = new Date();
    if (route === 'sms' || route === 'calls') {
      const id = typeof named['sid'] === 'string' ? named['sid'] : `${route === 'sms' ? 'SM' : 'CA'}${hex(16)}`;
      const existing = this.byId.get(id);
      if (existing) return existing;
      const form = request.form ?? {};
      const accountSid = accountOf(request.path);
      const fields: Record<string, unknown> =
        route === 'sms'
          ? { sid: id, account_sid: accountSid, to: form['To'] ?? null, from: form['From'] ?? null, body: form['Body'] ?? null, status: 'queued', direction: 'outbound-api', date_created: twilioDate(now), date_updated: twilioDate(now), date_sent: null }
          : { sid: id, account_sid: accountSid, to: form['To'] ?? null, from: form['From'] ?? null, status: 'queued', direction: 'outbound-api', date_created: twilioDate(now), date_updated: twilioDate(now), start_time: null };
      const resource: StoredResource = { kind: route === 'sms' ? 'message' : 'call', id, createdAt: now, fields, ...(accountSid === undefined ? {} : { accountSid }) };
      const callback = form['StatusCallback'];
      if (callback) resource.statusCallback = { url: callback, authToken: basicPassword(request.headers) };
      this.resources.push(resource);
      this.byId.set(id, resource);
      return resource;
    }
    if (route === 'appointments') {
      const key = keyOf(request);
      const existing = key === undefined ? undefined : this.resources.find((r) => r.kind === 'appointment' && r.idempotencyKey === key);
      if (existing) return existing;
      const id = typeof named['appointment_id'] === 'string' ? named['appointment_id'] : `apt_${hex(8)}`;
      const slotStart = Date.parse(String((request.json as { slot_start?: unknown } | undefined)?.slot_start ?? ''));
      const resource: StoredResource = {
        kind: 'appointment',
        id,
        createdAt: now,
        fields: { appointment_id: id, status: 'booked' },
        ...(key === undefined ? {} : { idempotencyKey: key }),
        ...(Number.isNaN(slotStart) ? {} : { slotStart }),
      };
      this.resources.push(resource);
      return resource;
    }
    return undefined;
  }

  private visible(kind: StoredResource['kind']): StoredResource[] {
    const cutoff = Date.now() - this.listingDelayMs;
    return this.resources.filter((r) => r.kind === kind && r.createdAt.getTime() <= cutoff);
  }

  /** A Twilio list page: filters, newest first, `PageSize`/`Page`, `next_page_uri`. */
  twilioList(kind: 'message' | 'call', request: RecordedRequest): unknown {
    const q = request.query;
    const dateField = kind === 'message' ? 'date_sent' : 'start_time';
    const dateParam = kind === 'message' ? 'DateSent' : 'StartTime';
    const day = (v: unknown) => (typeof v === 'string' ? new Date(Date.parse(v)).toISOString().slice(0, 10) : null);
    const account = accountOf(request.path);
    const matching = this.visible(kind)
      .filter((r) => this.acrossAccounts || r.accountSid === undefined || r.accountSid === account)
      .filter((r) => (q['To'] === undefined || r.fields['to'] === q['To']) && (q['From'] === undefined || r.fields['from'] === q['From']))
      .filter((r) => {
        // Twilio's date filters compare whole days, and a resource without the date is never returned.
        const on = q[dateParam];
        const before = q[`${dateParam}<`];
        const after = q[`${dateParam}>`];
        if (on === undefined && before === undefined && after === undefined) return true;
        const d = day(r.fields[dateField]);
        if (d === null) return false;
        return (on === undefined || d === on) && (before === undefined || d <= before) && (after === undefined || d >= after);
      })
      .sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime());
    const pageSize = Math.min(1000, Math.max(1, Number(q['PageSize'] ?? 50) || 50));
    const page = Math.max(0, Number(q['Page'] ?? 0) || 0);
    const items = matching.slice(page * pageSize, (page + 1) * pageSize).map((r) => r.fields);
    const nextQuery = new URLSearchParams({ ...q, PageSize: String(pageSize), Page: String(page + 1) });
    const hasNext = (page + 1) * pageSize < matching.length;
    return {
      [kind === 'message' ? 'messages' : 'calls']: items,
      page,
      page_size: pageSize,
      start: page * pageSize,
      end: page * pageSize + items.length - 1,
      uri: `${request.path}?${new URLSearchParams(q).toString()}`,
      next_page_uri: hasNext ? `${request.path}?${nextQuery.toString()}` : null,
    };
  }

  bookingsFor(key: string | undefined): unknown {
    const bookings = key === undefined ? [] : this.visible('appointment').filter((r) => r.idempotencyKey === key);
    return { appointments: bookings.map((r) => r.fields) };
  }
}

/** The password of a request's Basic auth (Twilio's auth token), '' without one. */
function basicPassword(headers: IncomingHttpHeaders): string {
  const match = /^Basic\s+(.+)$/i.exec(headers.authorization ?? '');
  if (!match) return '';
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}

/**
 * Twilio's X-Twilio-Signature, written here from Twilio's documentation rather than imported from the
 * producer, so a test checks the producer against the vendor's rule, not against itself.
 */
function twilioSign(authToken: string, url: string, params: Record<string, string>): string {
  const data = url + Object.keys(params).sort().map((k) => k + params[k]).join('');
  return createHmac('sha1', authToken).update(data, 'utf8').digest('base64');
}

/** A status callback's form as Twilio posts it for a message or a call. */
function statusForm(resource: StoredResource, status: string, errorCode: string | undefined): Record<string, string> {
  const f = resource.fields;
  const common = { AccountSid: String(resource.accountSid ?? ''), From: String(f['from'] ?? ''), To: String(f['to'] ?? ''), ApiVersion: '2010-04-01' };
  const error: Record<string, string> = errorCode === undefined ? {} : { ErrorCode: errorCode };
  return resource.kind === 'call'
    ? { ...common, CallSid: resource.id, CallStatus: status, Direction: 'outbound-api', ...error }
    : { ...common, MessageSid: resource.id, SmsSid: resource.id, MessageStatus: status, SmsStatus: status, ...error };
}

const HALF_HOUR_MS = 30 * 60_000;

/** The free half-hour slots within three hours of `near`, nearest first: never one booked through `appointments`. */
function freeSlotsNear(store: ResourceStore, request: RecordedRequest): { slots: { start: string; provider_id: string }[] } {
  const near = Date.parse(request.query['near'] ?? '');
  const limit = Math.max(1, Math.min(10, Number(request.query['limit'] ?? 2) || 2));
  if (Number.isNaN(near)) return { slots: [] };
  const booked = new Set(store.resources.flatMap((r) => (r.kind === 'appointment' && r.slotStart !== undefined ? [r.slotStart] : [])));
  const first = Math.ceil((near - 3 * 3_600_000) / HALF_HOUR_MS) * HALF_HOUR_MS;
  const candidates: number[] = [];
  for (let t = first; t <= near + 3 * 3_600_000; t += HALF_HOUR_MS) if (!booked.has(t)) candidates.push(t);
  candidates.sort((a, b) => Math.abs(a - near) - Math.abs(b - near) || a - b);
  return { slots: candidates.slice(0, limit).map((t) => ({ start: new Date(t).toISOString(), provider_id: 'prov_1' })) };
}

/** A page of the schedule (see the module comment); the page token is the offset, opaque to the client. */
function schedulePage(schedule: ScheduledAppointmentRecord[], request: RecordedRequest): { status: number; body: unknown } {
  const q = request.query;
  const from = Date.parse(q['start_from'] ?? '');
  const to = Date.parse(q['start_to'] ?? '');
  if (Number.isNaN(from) || Number.isNaN(to)) return { status: 400, body: { code: 'invalid_request', message: 'start_from and start_to must be ISO 8601 times' } };
  const pageSize = Math.min(500, Math.max(1, Number(q['page_size'] ?? 50) || 50));
  const offset = q['page_token'] ? Number(Buffer.from(q['page_token'], 'base64url').toString('utf8').replace(/^o:/, '')) || 0 : 0;
  const matching = schedule
    .filter((a) => (q['practice_id'] === undefined || a.practice_id === undefined || a.practice_id === q['practice_id']) && Date.parse(a.start) >= from && Date.parse(a.start) < to)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.appointment_id.localeCompare(b.appointment_id));
  const items = matching.slice(offset, offset + pageSize);
  const next = offset + pageSize < matching.length ? Buffer.from(`o:${offset + pageSize}`).toString('base64url') : null;
  return { status: 200, body: { appointments: items.map(({ practice_id: _practice, ...rest }) => rest), next_page_token: next } };
}

/** The schedule route's own answer (its status depends on the request): answered by {@link schedulePage}. */
const SCHEDULE_PAGE: ScriptedResponse = { status: 200 };

/** Realistic success answers; fresh ids per request so dedupe bugs show up as duplicate sends. */
function defaultResponses(store: ResourceStore, patients: Map<string, string>): Record<RouteId, ScriptedResponse> {
  return {
    // A create's default answer is the resource the store made for it (see `answer`).
    sms: { status: 201 },
    calls: { status: 201 },
    appointments: { status: 201 },
    sms_list: { status: 200, body: (request: RecordedRequest) => store.twilioList('message', request) },
    calls_list: { status: 200, body: (request: RecordedRequest) => store.twilioList('call', request) },
    appointments_lookup: { status: 200, body: (request: RecordedRequest) => store.bookingsFor(request.query['idempotency_key']) },
    appointments_list: SCHEDULE_PAGE,
    confirm: {
      status: 200,
      body: (request: RecordedRequest) => ({ appointment_id: decodeURIComponent(request.path.split('/').at(-2) ?? ''), status: 'confirmed' }),
    },
    free_slots: { status: 200, body: (request: RecordedRequest) => freeSlotsNear(store, request) },
    patients: {
      status: 200,
      body: (request: RecordedRequest) => {
        const id = patients.get(request.query['phone'] ?? '');
        return { patients: id ? [{ patient_id: id }] : [] };
      },
    },
    slots: {
      status: 200,
      body: (request: RecordedRequest) => {
        const from = Date.parse(request.query['from'] ?? '');
        const base = Number.isNaN(from) ? Date.UTC(2030, 0, 7, 9) : from;
        return {
          slots: [0, 1, 2].map((i) => ({
            start: new Date(base + i * 30 * 60_000).toISOString(),
            provider_id: i % 2 === 0 ? 'prov_1' : 'prov_2',
          })),
        };
      },
    },
    unknown: { status: 404, body: { code: 'not_found' } },
  };
}

/** Twilio's error body for a send to a recipient who texted STOP to the sender. */
const UNSUBSCRIBED_ANSWER: ScriptedResponse = {
  status: 400,
  body: { code: 21610, message: 'Attempt to send to unsubscribed recipient', more_info: 'https://www.twilio.com/docs/errors/21610', status: 400 },
};

/** The create routes: their default body is the stored resource. */
const CREATE_ROUTES = new Set<RouteId>(['sms', 'calls', 'appointments']);

function parseBody(headers: IncomingHttpHeaders, rawBody: string): Pick<RecordedRequest, 'form' | 'json'> {
  const type = headers['content-type'] ?? '';
  if (type.startsWith('application/x-www-form-urlencoded')) {
    return { form: Object.fromEntries(new URLSearchParams(rawBody)) };
  }
  if (type.includes('json') && rawBody !== '') {
    try {
      return { json: JSON.parse(rawBody) as unknown };
    } catch {
      return {};
    }
  }
  return {};
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the stand-in on 127.0.0.1 (a free port unless `port` is given). */
export async function startVendorStandin(options: StandinOptions = {}): Promise<VendorStandin> {
  const requests: RecordedRequest[] = [];
  const scripts = new Map<RouteId, ScriptedResponse[]>();
  const store = new ResourceStore();
  store.listingDelayMs = options.listingDelayMs ?? 0;
  const patients = new Map<string, string>();
  const schedule: ScheduledAppointmentRecord[] = [];
  let defaults = defaultResponses(store, patients);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const unsubscribed = new Set<string>();
  let closing: Promise<void> | undefined;

  function answer(res: ServerResponse, response: ScriptedResponse, request: RecordedRequest): void {
    const route = request.route;
    const accepts = 'accept' in response && response.accept === true;
    if ('hang' in response) {
      if (accepts) store.create(route, request);
      return;
    }
    if ('destroy' in response) {
      if (accepts) store.create(route, request);
      res.socket?.destroy();
      return;
    }
    if ('cutBody' in response) {
      const created = store.create(route, request);
      const text = JSON.stringify(created?.fields ?? { code: 'created' });
      res.writeHead(201, { 'content-type': 'application/json', 'content-length': String(text.length) });
      res.write(text.slice(0, Math.floor(text.length / 2)));
      // Let the first half reach the client before the reset.
      setImmediate(() => res.socket?.destroy());
      return;
    }
    // A vendor that accepts acts on receipt; only its answer is late (or lost).
    if (accepts && CREATE_ROUTES.has(route)) store.create(route, request);
    const send = (): void => {
      let value = typeof response.body === 'function' ? (response.body as (r: RecordedRequest) => unknown)(request) : response.body;
      const acted = CREATE_ROUTES.has(route) && (accepts || (response.status >= 200 && response.status < 300));
      const created = acted ? store.create(route, request, value) : undefined;
      // The client gave up (our timeout, or it died) before the answer: the vendor acted all the same.
      if (res.destroyed) return;
      value ??= created?.fields;
      const headers: Record<string, string> = { ...response.headers };
      let payload = '';
      if (typeof value === 'string') {
        payload = value;
      } else if (value !== undefined) {
        payload = JSON.stringify(value);
        headers['content-type'] ??= 'application/json';
      }
      res.writeHead(response.status, headers);
      res.end(payload);
    };
    const delayMs = response.delayMs ?? options.answerDelayMs ?? 0;
    if (delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, delayMs);
    timers.add(timer);
  }

  const server = createServer((req, res) => {
    void (async () => {
      const rawBody = await readBody(req);
      const target = new URL(req.url ?? '/', 'http://standin');
      const method = req.method ?? 'GET';
      const route = routeOf(method, target.pathname, target.searchParams);
      const recorded: RecordedRequest = {
        route,
        method,
        path: target.pathname,
        query: Object.fromEntries(target.searchParams),
        headers: req.headers,
        rawBody,
        ...parseBody(req.headers, rawBody),
        receivedAt: new Date(),
      };
      requests.push(recorded);
      const optedOut = route === 'sms' && unsubscribed.has(recorded.form?.['To'] ?? '');
      const picked = optedOut ? UNSUBSCRIBED_ANSWER : (scripts.get(route)?.shift() ?? defaults[route]);
      const response = picked === SCHEDULE_PAGE ? schedulePage(schedule, recorded) : picked;
      // A PMS books when the request arrives, however late its (successful) answer: a worker killed while
      // waiting for it has booked all the same, and a repeat of the Idempotency-Key gets this booking back.
      if (route === 'appointments' && 'status' in response && response.status >= 200 && response.status < 300 && !('hang' in response) && !('destroy' in response) && !('cutBody' in response)) {
        recorded.booking = store.create(route, recorded)?.fields as RecordedRequest['booking'];
      }
      answer(res, response, recorded);
    })().catch(() => {
      // The client went away mid-body; there is nobody left to answer.
      res.destroy();
    });
  });

  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    requests,
    resources: store.resources,
    setListingDelay(ms) {
      store.listingDelayMs = ms;
    },
    listAcrossAccounts(on) {
      store.acrossAccounts = on;
    },
    script(route, responses) {
      const queue = scripts.get(route) ?? [];
      queue.push(...responses);
      scripts.set(route, queue);
    },
    setDefault(route, response) {
      defaults[route] = response;
    },
    countFor(route) {
      return requests.filter((request) => request.route === route).length;
    },
    unsubscribe(number) {
      unsubscribed.add(number);
    },
    addAppointments(appointments) {
      schedule.push(...appointments);
    },
    defaultAnswer(route) {
      return defaults[route];
    },
    addPatient(phone, patientId) {
      patients.set(phone, patientId);
    },
    statusCallbackOf(sid) {
      return store.byVendorSid(sid)?.statusCallback?.url;
    },
    async postStatus(sid, status, postOptions = {}) {
      const resource = store.byVendorSid(sid);
      if (!resource?.statusCallback) throw new Error(`stand-in: ${sid} was created without a StatusCallback`);
      resource.fields['status'] = status;
      const form = statusForm(resource, status, postOptions.errorCode);
      const { url, authToken } = resource.statusCallback;
      return fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': twilioSign(postOptions.authToken ?? authToken, url, form) },
        body: new URLSearchParams(form).toString(),
      });
    },
    reset() {
      unsubscribed.clear();
      requests.length = 0;
      scripts.clear();
      store.forget();
      store.listingDelayMs = options.listingDelayMs ?? 0;
      store.acrossAccounts = false;
      patients.clear();
      schedule.length = 0;
      defaults = defaultResponses(store, patients);
    },
    close() {
      // `server.close` alone waits for keep-alive and hanging sockets; destroying them makes it prompt.
      closing ??= new Promise<void>((resolve, reject) => {
        for (const timer of timers) clearTimeout(timer);
        timers.clear();
        server.close((err) => (err ? reject(err) : resolve()));
        for (const socket of sockets) socket.destroy();
      });
      return closing;
    },
  };
}
