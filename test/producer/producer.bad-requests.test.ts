/**
 * Every bad request is a 4xx, through real HTTP, on every state-changing route of the API and the
 * webhooks: an empty body (what `curl -X POST` sends: no Content-Length, no Transfer-Encoding) is `{}`
 * where the body is optional and a 400 naming the body where it is required; a body that is not JSON by
 * its Content-Type is a 415; JSON that does not parse is a 400 invalid_json; a body over the limit is a
 * 413 with `Connection: close`, read by a keep-alive client without a reset, whose next request goes
 * on a new connection and works. (The /admin forms are covered by their own suite.)
 */
import { request as httpRequest, Agent, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { createApiKey } from '@revos/db';
import { MAX_BODY_BYTES } from '@revos/producer';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import { rawRequest, type Framing } from '../support/raw-http.js';
import { queuedJobCount, rowCounts, startTestProducer, type TestProducer } from './helpers.js';

let h: Harness;
let p: TestProducer;
let key: string;
beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  p = await startTestProducer(h);
  key = await createApiKey(h.db.sql, TENANT);
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

interface Route {
  method: 'POST' | 'PUT';
  path: string;
  /** The answer to an empty body: `{}` read as the body (optional) or a 400 naming it (required). */
  empty: { status: number; error: string };
  /** Under /v1: authenticated, JSON only. */
  api: boolean;
}

const json = { status: 400, error: 'missing_body' };
const ROUTES: Route[] = [
  { method: 'POST', path: '/v1/runs', empty: json, api: true },
  { method: 'PUT', path: '/v1/consents', empty: json, api: true },
  { method: 'PUT', path: '/v1/policy', empty: json, api: true },
  // Optional bodies: an empty one is `{}`, so the answer is about the task (there is none), not the body.
  ...['claim', 'resolve', 'reopen'].map((action): Route => ({ method: 'POST', path: `/v1/tasks/task_none/${action}`, empty: action === 'resolve' ? { status: 400, error: 'invalid_body' } : { status: 404, error: 'not_found' }, api: true })),
  // Webhooks check the signature before anything else: an unsigned empty body is a 403.
  ...['sms', 'voice', 'status'].map((kind): Route => ({ method: 'POST', path: `/webhooks/twilio/${TENANT}/${kind}`, empty: { status: 403, error: 'invalid_signature' }, api: false })),
  { method: 'POST', path: `/webhooks/generic/${TENANT}/WF11_Log_Event`, empty: { status: 403, error: 'invalid_signature' }, api: false },
];
const API_ROUTES = ROUTES.filter((r) => r.api);

const auth = () => ({ authorization: `Bearer ${key}` });
const parsed = (body: string) => JSON.parse(body) as { error: string; issues?: { path: string; rule: string; message: string }[] };

describe('an empty body', () => {
  for (const route of ROUTES) {
    for (const framing of ['none', 'length'] as Framing[]) {
      it(`${route.method} ${route.path} (${framing === 'none' ? 'no Content-Length, as curl -X POST' : 'Content-Length: 0'}) → ${route.empty.status} ${route.empty.error}`, async () => {
        const answer = await rawRequest(p.url, { method: route.method, path: route.path, headers: route.api ? auth() : {}, framing });
        expect(answer.status).toBe(route.empty.status);
        expect(parsed(answer.body).error).toBe(route.empty.error);
      });
    }
  }

  it('a required body names what is missing and how to send it', async () => {
    const answer = await rawRequest(p.url, { method: 'POST', path: '/v1/runs', headers: auth(), framing: 'none' });
    expect(parsed(answer.body).issues).toEqual([{ path: '', rule: 'required', message: 'a JSON body is required (Content-Type: application/json)' }]);
    expect(await rowCounts(h)).toEqual({ accepted: 0, runs: 0 });
  });
});

describe('a body that is not JSON', () => {
  for (const route of API_ROUTES) {
    for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', undefined]) {
      it(`${route.method} ${route.path} with ${contentType ?? 'no Content-Type'} → 415 unsupported_media_type`, async () => {
        const answer = await rawRequest(p.url, { method: route.method, path: route.path, headers: { ...auth(), ...(contentType ? { 'content-type': contentType } : {}) }, body: '{"actor":"amy"}', framing: 'length' });
        expect(answer.status).toBe(415);
        expect(parsed(answer.body)).toMatchObject({ error: 'unsupported_media_type', issues: [{ path: '', rule: 'content_type' }] });
      });
    }
    it(`${route.method} ${route.path} with JSON that does not parse → 400 invalid_json`, async () => {
      const res = await fetch(`${p.url}${route.path}`, { method: route.method, headers: { ...auth(), 'content-type': 'application/json; charset=utf-8' }, body: '{"meta":' });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: string }).error).toBe('invalid_json');
    });
  }
});

describe('a body over the limit', () => {
  const oversized = Buffer.alloc(MAX_BODY_BYTES + 1, 'x');
  for (const route of ROUTES) {
    for (const framing of ['length', 'chunked'] as Framing[]) {
      it(`${route.method} ${route.path} (${framing}) → 413 payload_too_large, Connection: close, read in full`, async () => {
        const answer = await rawRequest(p.url, { method: route.method, path: route.path, headers: { ...(route.api ? auth() : {}), 'content-type': 'application/json' }, body: oversized, framing });
        expect(answer.status).toBe(413);
        expect(answer.headers['connection']).toBe('close');
        expect(parsed(answer.body).error).toBe('payload_too_large');
      });
    }
  }

  it('a chunked body within the limit is read whole and accepted', async () => {
    const envelope = { meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' }, subject: {}, payload: { event_type: 'note.added', direction: 'internal', attributes: { pad: 'y'.repeat(200_000) } } };
    const answer = await rawRequest(p.url, { method: 'POST', path: '/v1/runs', headers: { ...auth(), 'content-type': 'application/json' }, body: JSON.stringify(envelope), framing: 'chunked' });
    expect(answer.status).toBe(202);
    expect(parsed(answer.body)).toMatchObject({ status: 'queued' });
    expect(await queuedJobCount(h)).toBe(1);
  });

  it('a keep-alive client reads the 413 without a reset, and its next request goes on a new connection that works', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const send = (method: string, path: string, body?: Buffer) =>
        new Promise<{ res: IncomingMessage; text: string; socket: Socket }>((resolve, reject) => {
          const req = httpRequest(`${p.url}${path}`, { method, agent, headers: { ...auth(), ...(body ? { 'content-type': 'application/json' } : {}) } }, (res) => {
            let text = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => (text += c));
            res.on('end', () => resolve({ res, text, socket: req.socket! }));
            res.on('error', reject);
          });
          // An ECONNRESET here (the server closing while the body was still being sent) fails the test.
          req.on('error', reject);
          req.end(body);
        });
      const first = await send('POST', '/v1/runs', Buffer.alloc(2 * MAX_BODY_BYTES, 'x'));
      expect(first.res.statusCode).toBe(413);
      expect(first.res.headers['connection']).toBe('close');
      expect(parsed(first.text).error).toBe('payload_too_large');
      const next = await send('GET', '/v1/workflows');
      expect(next.res.statusCode).toBe(200);
      expect(next.socket).not.toBe(first.socket);
      // And a good submission right after, on the same agent.
      const envelope = { meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' }, subject: {}, payload: { event_type: 'note.added', direction: 'internal' } };
      const good = await send('POST', '/v1/runs', Buffer.from(JSON.stringify(envelope)));
      expect(good.res.statusCode).toBe(202);
    } finally {
      agent.destroy();
    }
  });
});
