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
 * | `slots`        | `GET …/slots`                                       | 200 `{ slots: [{ start, provider_id }] }`       |
 * | `free_slots`   | `GET …/slots/free?near=&limit=`                     | 200 the free half-hour slots nearest `near`, never one booked through `appointments` |
 * | `patients`     | `GET …/patients?phone=`                             | 200 `{ patients: [{ patient_id }] }` from `addPatient` |
 * | `unknown`      | anything else                                       | 404 `{ code: 'not_found' }`                     |
 *
 * `script(route, [...])` queues answers consumed one per request; once the queue is empty the route's
 * default answers again. Every request is recorded, including those answered by `hang` or `destroy`.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type RouteId = 'sms' | 'calls' | 'appointments' | 'slots' | 'free_slots' | 'patients' | 'unknown';

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
 * - `{ status, body?, headers?, delayMs? }`: a string `body` is sent as is (for malformed bodies); any
 *   other value is sent as JSON; a function computes the body from the request.
 * - `{ hang: true }`: never answer; the socket is ended by the client or by `close()`.
 * - `{ destroy: true }`: destroy the socket without answering (the client sees a network error).
 */
export type ScriptedResponse =
  | {
      status: number;
      body?: unknown;
      headers?: Record<string, string>;
      delayMs?: number;
    }
  | { hang: true }
  | { destroy: true };

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
  /** Put a patient with this phone number on the PMS's records (`patients` answers with it). */
  addPatient(phone: string, patientId: string): void;
  /** Forget recorded requests, scripts and default overrides. */
  reset(): void;
  /** Destroy every socket (hanging requests included), cancel delayed answers and stop listening. */
  close(): Promise<void>;
}

export interface StandinOptions {
  /** 0 (the default) picks a free port. */
  port?: number;
  host?: string;
}

const ROUTES: { id: Exclude<RouteId, 'unknown'>; method: string; pattern: RegExp }[] = [
  { id: 'sms', method: 'POST', pattern: /\/2010-04-01\/Accounts\/[^/]+\/Messages\.json$/ },
  { id: 'calls', method: 'POST', pattern: /\/2010-04-01\/Accounts\/[^/]+\/Calls\.json$/ },
  { id: 'appointments', method: 'POST', pattern: /\/appointments$/ },
  { id: 'slots', method: 'GET', pattern: /\/slots$/ },
  { id: 'free_slots', method: 'GET', pattern: /\/slots\/free$/ },
  { id: 'patients', method: 'GET', pattern: /\/patients$/ },
];

function routeOf(method: string, path: string): RouteId {
  return ROUTES.find((route) => route.method === method && route.pattern.test(path))?.id ?? 'unknown';
}

const hex = (bytes: number): string => randomBytes(bytes).toString('hex');

/** What the stand-in PMS remembers: booked slot starts (ms), bookings by Idempotency-Key, the patient directory by phone. */
interface PmsRecords {
  booked: Set<number>;
  byIdempotencyKey: Map<string, { appointment_id: string; status: string }>;
  patients: Map<string, string>;
}

/**
 * A booking takes effect when the request arrives, as at a real PMS, whether or not its answer
 * reaches the caller (a hang, a worker killed mid-call); a request repeating an Idempotency-Key
 * gets the first booking back and books nothing.
 */
function bookOnArrival(records: PmsRecords, request: RecordedRequest): { appointment_id: string; status: string } {
  const key = request.headers['idempotency-key'];
  const prior = typeof key === 'string' ? records.byIdempotencyKey.get(key) : undefined;
  if (prior) return prior;
  const start = Date.parse(String((request.json as { slot_start?: unknown } | undefined)?.slot_start ?? ''));
  if (!Number.isNaN(start)) records.booked.add(start);
  const booking = { appointment_id: `apt_${hex(8)}`, status: 'booked' };
  if (typeof key === 'string') records.byIdempotencyKey.set(key, booking);
  return booking;
}

const HALF_HOUR_MS = 30 * 60_000;

/** The free half-hour slots within three hours of `near`, nearest first. */
function freeSlotsNear(records: PmsRecords, request: RecordedRequest): { slots: { start: string; provider_id: string }[] } {
  const near = Date.parse(request.query['near'] ?? '');
  const limit = Math.max(1, Math.min(10, Number(request.query['limit'] ?? 2) || 2));
  if (Number.isNaN(near)) return { slots: [] };
  const first = Math.ceil((near - 3 * 3_600_000) / HALF_HOUR_MS) * HALF_HOUR_MS;
  const candidates: number[] = [];
  for (let t = first; t <= near + 3 * 3_600_000; t += HALF_HOUR_MS) if (!records.booked.has(t)) candidates.push(t);
  candidates.sort((a, b) => Math.abs(a - near) - Math.abs(b - near) || a - b);
  return { slots: candidates.slice(0, limit).map((t) => ({ start: new Date(t).toISOString(), provider_id: 'prov_1' })) };
}

/** Realistic success answers; fresh ids per request so dedupe bugs show up as duplicate sends. */
function defaultResponses(records: PmsRecords): Record<RouteId, ScriptedResponse> {
  return {
    sms: { status: 201, body: () => ({ sid: `SM${hex(16)}`, status: 'queued' }) },
    calls: { status: 201, body: () => ({ sid: `CA${hex(16)}`, status: 'queued' }) },
    appointments: { status: 201, body: (request: RecordedRequest) => request.booking },
    free_slots: { status: 200, body: (request: RecordedRequest) => freeSlotsNear(records, request) },
    patients: {
      status: 200,
      body: (request: RecordedRequest) => {
        const id = records.patients.get(request.query['phone'] ?? '');
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
  const records: PmsRecords = { booked: new Set(), byIdempotencyKey: new Map(), patients: new Map() };
  let defaults = defaultResponses(records);
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  let closing: Promise<void> | undefined;

  function answer(res: ServerResponse, response: ScriptedResponse, request: RecordedRequest): void {
    if ('hang' in response) return;
    if ('destroy' in response) {
      res.socket?.destroy();
      return;
    }
    const send = (): void => {
      if (res.destroyed) return;
      const value = typeof response.body === 'function' ? (response.body as (r: RecordedRequest) => unknown)(request) : response.body;
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
    if (response.delayMs === undefined || response.delayMs <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      timers.delete(timer);
      send();
    }, response.delayMs);
    timers.add(timer);
  }

  const server = createServer((req, res) => {
    void (async () => {
      const rawBody = await readBody(req);
      const target = new URL(req.url ?? '/', 'http://standin');
      const method = req.method ?? 'GET';
      const route = routeOf(method, target.pathname);
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
      const response = scripts.get(route)?.shift() ?? defaults[route];
      // A refusal (4xx) books nothing; a success, a 5xx, a hang or a cut connection may have.
      if (route === 'appointments' && !('status' in response && response.status >= 400 && response.status < 500)) {
        recorded.booking = bookOnArrival(records, recorded);
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
    addPatient(phone, patientId) {
      records.patients.set(phone, patientId);
    },
    reset() {
      requests.length = 0;
      scripts.clear();
      records.booked.clear();
      records.byIdempotencyKey.clear();
      records.patients.clear();
      defaults = defaultResponses(records);
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
