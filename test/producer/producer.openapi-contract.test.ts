/**
 * The OpenAPI document against the producer's real answers, judged by Stoplight Prism (a tool no one
 * here wrote): a scripted session of every documented route, valid and invalid requests, replayed
 * through Prism's validating proxy in front of a real producer (real PostgreSQL, Redis and workers).
 *
 * - Valid requests go through `prism proxy --errors`: any violation of the document, in the request or
 *   in the answer, turns the answer into Prism's own error, and the step fails.
 * - Invalid requests go through `prism proxy` without --errors: with it Prism would refuse them itself
 *   and never show them to the producer. Prism forwards them and names every violation in the
 *   sl-violations header: the request's are the point; any in the answer fails the step.
 * - Two refusals cannot pass Prism (it never answers a body that is not JSON, or one over 1 MiB) and
 *   are sent to the producer directly, their answers checked against the document's schemas (zod).
 *
 * The client generated from the document (openapi-client/) is run through the strict proxy too, and
 * checked to be what the document generates today.
 */
import { readFileSync, rmSync, mkdtempSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApiKey, openStaffTask } from '@revos/db';
import { postmarkWebhookPassword, POSTMARK_WEBHOOK_USER, RunRefused, signGeneric, twilioSignature } from '@revos/producer';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import { startPrism, type PrismServer } from '../support/prism-runner.js';
import { startTestProducer, type TestProducer } from './helpers.js';
import { actOnTask, generatedClient, runClientSession } from './openapi-client/client.js';
import { OPENAPI_TYPES_FILE, renderOpenApiTypes } from './openapi-client/generate.js';

const TWILIO_TOKEN = 'contract-twilio-token';
const SECRET = 'contract-webhook-secret-0123456789abcdef';
const METRICS = 'contract-metrics-token-0123456789abcdef';
const POSTMARK = 'contract-postmark-secret-0123456789abcdef';
/** What Twilio signs is the public URL (PUBLIC_BASE_URL), whichever proxy the request went through. */
const PUBLIC_BASE = 'https://hooks.revos.test';

let h: Harness;
let p: TestProducer;
let strict: PrismServer;
let lenient: PrismServer;
let dir: string;
let key: string;

beforeAll(async () => {
  h = await startHarness();
  key = await createApiKey(h.db.sql, TENANT);
  p = await startTestProducer(h, { TWILIO_AUTH_TOKEN: TWILIO_TOKEN, WEBHOOK_SIGNING_SECRET: SECRET, METRICS_TOKEN: METRICS, POSTMARK_WEBHOOK_SECRET: POSTMARK, PUBLIC_BASE_URL: PUBLIC_BASE });
  dir = mkdtempSync(join(tmpdir(), 'revos-contract-'));
  const document = join(dir, 'openapi.json');
  writeFileSync(document, await (await fetch(`${p.url}/v1/openapi.json`)).text());
  [strict, lenient] = await Promise.all([
    startPrism({ document, mode: 'proxy', upstream: p.url, errors: true }),
    startPrism({ document, mode: 'proxy', upstream: p.url, errors: false }),
  ]);
}, 90_000);
afterAll(async () => {
  await Promise.all([strict?.stop(), lenient?.stop()]);
  await p?.close();
  await h?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Step {
  name: string;
  method: 'GET' | 'POST' | 'PUT';
  path: string;
  headers?: Record<string, string>;
  /** JSON, or a string sent as it is. */
  body?: unknown;
  status: number;
}

interface Answer {
  status: number;
  type: string;
  violations: string | null;
  text: string;
}

async function send(prism: PrismServer, step: Step): Promise<Answer> {
  const body = step.body === undefined ? undefined : typeof step.body === 'string' ? step.body : JSON.stringify(step.body);
  const headers = { ...(typeof step.body === 'object' ? { 'content-type': 'application/json' } : {}), ...step.headers };
  const res = await fetch(`${prism.url}${step.path}`, { method: step.method, headers, ...(body === undefined ? {} : { body }), signal: AbortSignal.timeout(20_000) });
  return { status: res.status, type: res.headers.get('content-type') ?? '', violations: res.headers.get('sl-violations'), text: await res.text() };
}

/** A valid request: the answer is the producer's, with the status expected, and Prism saw nothing wrong. */
async function valid(step: Step): Promise<Answer> {
  const answer = await send(strict, step);
  const where = `${step.name}: ${step.method} ${step.path} → ${answer.status} ${answer.text.slice(0, 2000)}`;
  expect(answer.type, where).not.toContain('problem+json');
  expect(answer.violations, where).toBeNull();
  expect(answer.status, where).toBe(step.status);
  return answer;
}

/** An invalid request: Prism names what is wrong with it, and nothing wrong with the producer's answer. */
async function invalid(step: Step): Promise<Answer> {
  const answer = await send(lenient, step);
  const where = `${step.name}: ${step.method} ${step.path} → ${answer.status} ${answer.text.slice(0, 1000)}\nviolations: ${answer.violations?.slice(0, 2000)}`;
  expect(answer.violations ?? '', where).not.toContain('"location":["response"');
  expect(answer.type, where).not.toContain('problem+json');
  expect(answer.status, where).toBe(step.status);
  return answer;
}

const auth = (apiKey = key) => ({ authorization: `Bearer ${apiKey}` });
const logRun = (triggerId: string, extra: Record<string, unknown> = {}) => ({
  meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: triggerId, environment: 'staging', privacy_mode: 'standard', ...extra },
  subject: { patient_id: 'p_contract' },
  payload: { event_type: 'contract.step', direction: 'internal', attributes: { step: 1 } },
});

function twilioPost(path: string, form: Record<string, string>, signature = twilioSignature(TWILIO_TOKEN, `${PUBLIC_BASE}${path}`, form)): Step & { headers: Record<string, string> } {
  return {
    name: path,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
    body: new URLSearchParams(form).toString(),
    status: 200,
  };
}

function genericPost(path: string, body: unknown, secret = SECRET): Step & { headers: Record<string, string> } {
  const raw = JSON.stringify(body);
  const ts = Math.floor(Date.now() / 1000);
  return {
    name: path,
    method: 'POST',
    path,
    headers: { 'content-type': 'application/json', 'x-revos-timestamp': String(ts), 'x-revos-signature': signGeneric(secret, ts, path, raw) },
    body: raw,
    status: 202,
  };
}

function postmarkPost(path: string, body: unknown, password = postmarkWebhookPassword(POSTMARK, TENANT)): Step & { headers: Record<string, string> } {
  const basic = Buffer.from(`${POSTMARK_WEBHOOK_USER}:${password}`).toString('base64');
  return { name: path, method: 'POST', path, headers: { authorization: `Basic ${basic}` }, body, status: 200 };
}

/** A staff task on a run of the tenant, as a workflow would open it. */
async function openTask(runId: string): Promise<string> {
  const [run] = await h.db.sql<{ root_run_id: string; idempotency_key: string }[]>`select root_run_id, idempotency_key from workflow_runs where workflow_run_id = ${runId}`;
  const { taskId } = await openStaffTask(h.db.sql, {
    tenantId: TENANT,
    workflowRunId: runId,
    rootRunId: run!.root_run_id,
    idempotencyKey: run!.idempotency_key,
    kind: `contract_${ulid().toLowerCase()}`,
    reason: 'opened by the contract test',
    subject: {},
    omitEventPayload: false,
  });
  return taskId;
}

describe('the scripted session through Prism', () => {
  it('every tenant route, valid requests: answers exactly as documented (prism proxy --errors)', async () => {
    await valid({ name: 'document', method: 'GET', path: '/v1/openapi.json', status: 200 });
    await valid({ name: 'docs page', method: 'GET', path: '/docs', status: 200 });
    await valid({ name: 'health', method: 'GET', path: '/healthz', status: 200 });
    await valid({ name: 'metrics', method: 'GET', path: '/metrics', headers: auth(METRICS), status: 200 });
    await valid({ name: 'workflows', method: 'GET', path: '/v1/workflows', headers: auth(), status: 200 });

    const triggerId = `ui:${ulid()}`;
    const queued = JSON.parse((await valid({ name: 'submit', method: 'POST', path: '/v1/runs', headers: auth(), body: logRun(triggerId), status: 202 })).text) as { workflow_run_id: string };
    await valid({ name: 'duplicate', method: 'POST', path: '/v1/runs', headers: auth(), body: logRun(triggerId), status: 200 });
    const waited = JSON.parse((await valid({ name: 'submit and wait', method: 'POST', path: '/v1/runs?wait_ms=10000', headers: auth(), body: logRun(`ui:${ulid()}`), status: 202 })).text);
    // The wait ended with the run: its output contract went through Prism's check of OutputContract.
    expect(waited).toMatchObject({ run_status: 'ok', output: { result: { status: 'ok' } } });
    await h.waitForRun(queued.workflow_run_id);

    const run = JSON.parse((await valid({ name: 'run', method: 'GET', path: `/v1/runs/${queued.workflow_run_id}`, headers: auth(), status: 200 })).text);
    // RFC 3339, from the service layer: never PostgreSQL's own text.
    expect(run.run.accepted_at).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/);
    expect(run.events[0].occurred_at).toMatch(/T.*(Z|[+-]\d{2}:\d{2})$/);
    await valid({ name: 'tree', method: 'GET', path: `/v1/runs/${queued.workflow_run_id}/tree`, headers: auth(), status: 200 });
    await valid({ name: 'unknown run', method: 'GET', path: '/v1/runs/wr_01J0000000000000000000000', headers: auth(), status: 404 });

    const policy = JSON.parse((await valid({ name: 'policy', method: 'GET', path: '/v1/policy', headers: auth(), status: 200 })).text) as { feature_flags: unknown; feature_flags_version: string | null };
    await valid({ name: 'change flags', method: 'PUT', path: '/v1/policy', headers: auth(), body: { feature_flags: policy.feature_flags, expected_version: policy.feature_flags_version, reason: 'contract test' }, status: 202 });
    await valid({ name: 'stale version', method: 'PUT', path: '/v1/policy', headers: auth(), body: { feature_flags: policy.feature_flags, expected_version: 'ff_stale', reason: 'contract test' }, status: 409 });

    const consent = { subject: { patient_id: 'p_contract' }, address: '+15551230042', channel: 'sms', status: 'deny', source: 'contract_test' };
    await valid({ name: 'set consent', method: 'PUT', path: '/v1/consents', headers: auth(), body: consent, status: 200 });
    const consents = JSON.parse((await valid({ name: 'consents', method: 'GET', path: '/v1/consents?subject=p_contract', headers: auth(), status: 200 })).text);
    expect(consents.consents[0].updated_at).toMatch(/T.*(Z|[+-]\d{2}:\d{2})$/);
    await valid({ name: 'consents by number', method: 'GET', path: '/v1/consents?address=%2B15551230042', headers: auth(), status: 200 });

    const taskId = await openTask(queued.workflow_run_id);
    const tasks = JSON.parse((await valid({ name: 'tasks', method: 'GET', path: '/v1/tasks', headers: auth(), status: 200 })).text);
    expect(tasks.tasks.map((t: { task_id: string }) => t.task_id)).toContain(taskId);
    await valid({ name: 'all tasks', method: 'GET', path: '/v1/tasks?status=all&limit=3', headers: auth(), status: 200 });
    await valid({ name: 'done tasks', method: 'GET', path: '/v1/tasks?status=open,done', headers: auth(), status: 200 });
    await valid({ name: 'claim (no body)', method: 'POST', path: `/v1/tasks/${taskId}/claim`, headers: auth(), status: 200 });
    await valid({ name: 'claim again (changes nothing)', method: 'POST', path: `/v1/tasks/${taskId}/claim`, headers: auth(), body: {}, status: 200 });
    await valid({ name: 'claim under another label', method: 'POST', path: `/v1/tasks/${taskId}/claim`, headers: auth(), body: { actor: 'front desk' }, status: 409 });
    await valid({ name: 'resolve', method: 'POST', path: `/v1/tasks/${taskId}/resolve`, headers: auth(), body: { resolution: 'resolved', note: 'called back' }, status: 200 });
    await valid({ name: 'claim a done task', method: 'POST', path: `/v1/tasks/${taskId}/claim`, headers: auth(), status: 409 });
    await valid({ name: 'reopen', method: 'POST', path: `/v1/tasks/${taskId}/reopen`, headers: auth(), body: {}, status: 200 });
    await valid({ name: 'unknown task', method: 'POST', path: '/v1/tasks/task_nope/claim', headers: auth(), status: 404 });
  });

  it('every webhook, valid deliveries: answers exactly as documented (prism proxy --errors)', async () => {
    const sid = `SM${ulid().toLowerCase()}`;
    await valid(twilioPost(`/webhooks/twilio/${TENANT}/sms`, { MessageSid: sid, AccountSid: 'AC_contract', From: '+15551230043', To: '+15550000001', Body: 'Hello', NumMedia: '0' }));
    await valid(twilioPost(`/webhooks/twilio/${TENANT}/status`, { MessageSid: sid, MessageStatus: 'delivered', AccountSid: 'AC_contract' }));
    await valid(twilioPost(`/webhooks/twilio/${TENANT}/voice`, { CallSid: `CA${ulid().toLowerCase()}`, AccountSid: 'AC_contract', From: '+15551230044', To: '+15550000001', CallStatus: 'ringing' }));
    const body = { trigger_id: `crm:lead:${ulid()}`, payload: { event_type: 'lead.created', direction: 'inbound', attributes: { source: 'crm' } } };
    const path = `/webhooks/generic/${TENANT}/WF11_Log_Event`;
    await valid(genericPost(path, body));
    await valid({ ...genericPost(path, body), status: 200 });
    const events = `/webhooks/postmark/${TENANT}/events`;
    await valid(postmarkPost(events, { RecordType: 'Delivery', MessageID: ulid(), Recipient: 'patient@example.test' }));
    await valid(postmarkPost(events, { RecordType: 'Bounce', Type: 'HardBounce', Email: 'gone@example.test', MessageID: ulid() }));
  });

  it('invalid requests: refused as documented, and nothing wrong in the answers (prism proxy, violations read)', async () => {
    await invalid({ name: 'no key', method: 'GET', path: '/v1/workflows', status: 401 });
    await invalid({ name: 'unknown key', method: 'GET', path: '/v1/runs/wr_x', headers: auth('rk_not_a_key'), status: 401 });
    await invalid({ name: 'no body', method: 'POST', path: '/v1/runs', headers: { ...auth(), 'content-type': 'application/json' }, body: '', status: 400 });
    await invalid({ name: 'text/plain', method: 'POST', path: '/v1/runs', headers: { ...auth(), 'content-type': 'text/plain' }, body: JSON.stringify(logRun(`ui:${ulid()}`)), status: 415 });
    await invalid({ name: 'bad envelope', method: 'POST', path: '/v1/runs', headers: auth(), body: { meta: { workflow_name: 'WF11_Log_Event' }, subject: {}, payload: {} }, status: 400 });
    await invalid({ name: 'wait_ms too long', method: 'POST', path: '/v1/runs?wait_ms=999999', headers: auth(), body: logRun(`ui:${ulid()}`), status: 400 });
    await invalid({ name: 'unknown workflow', method: 'POST', path: '/v1/runs', headers: auth(), body: { ...logRun(`ui:${ulid()}`), meta: { ...logRun('x').meta, workflow_name: 'WF99_Nothing' } }, status: 404 });
    await invalid({ name: 'other tenant', method: 'POST', path: '/v1/runs', headers: auth(), body: logRun(`ui:${ulid()}`, { tenant_id: 't_other_practice' }), status: 403 });
    const triggerId = `ui:${ulid()}`;
    await valid({ name: 'first', method: 'POST', path: '/v1/runs', headers: auth(), body: logRun(triggerId), status: 202 });
    const conflicting = logRun(triggerId, { idempotency_key: `idem:${TENANT}:WF11_Log_Event:${triggerId}:${'0'.repeat(64)}` });
    await invalid({ name: 'key for another payload', method: 'POST', path: '/v1/runs', headers: auth(), body: conflicting, status: 409 });

    await invalid({ name: 'bad policy', method: 'PUT', path: '/v1/policy', headers: auth(), body: {}, status: 400 });
    await invalid({ name: 'bad consent', method: 'PUT', path: '/v1/consents', headers: auth(), body: { channel: 'sms' }, status: 400 });
    await invalid({ name: 'consents of nobody', method: 'GET', path: '/v1/consents', headers: auth(), status: 400 });
    await invalid({ name: 'bad status', method: 'GET', path: '/v1/tasks?status=everything', headers: auth(), status: 400 });
    await invalid({ name: 'bad limit', method: 'GET', path: '/v1/tasks?limit=0', headers: auth(), status: 400 });
    await invalid({ name: 'unknown action', method: 'POST', path: '/v1/tasks/task_nope/close', headers: auth(), status: 404 });
    await invalid({ name: 'resolve without resolution', method: 'POST', path: '/v1/tasks/task_nope/resolve', headers: auth(), body: { note: 'x' }, status: 400 });

    await invalid({ ...twilioPost(`/webhooks/twilio/${TENANT}/sms`, { MessageSid: `SM${ulid()}` }, 'AAAA'), status: 403 });
    await invalid({ ...twilioPost(`/webhooks/twilio/${TENANT}/status`, { AccountSid: 'AC_contract' }), status: 400 });
    await invalid({ ...twilioPost('/webhooks/twilio/t_no_such_practice/voice', { CallSid: `CA${ulid()}` }), status: 404 });
    await invalid({ ...genericPost(`/webhooks/generic/${TENANT}/WF11_Log_Event`, { trigger_id: 'x' }, 'not-the-secret'), status: 403 });
    await invalid({ ...genericPost(`/webhooks/generic/${TENANT}/WF11_Log_Event`, { payload: {} }), status: 400 });
    await invalid({ ...postmarkPost(`/webhooks/postmark/${TENANT}/events`, { RecordType: 'Delivery' }, 'not-the-password'), status: 403 });
    await invalid({ ...postmarkPost(`/webhooks/postmark/${TENANT}/events`, { Type: 'HardBounce' }), status: 400 });
    await invalid({ name: 'metrics without credentials', method: 'GET', path: '/metrics', status: 503 });
  });

  it('refusals Prism cannot carry, sent directly: invalid JSON is a 400 with issues, an oversized body a 413 that closes the connection', async () => {
    const bad = await fetch(`${p.url}/v1/runs`, { method: 'POST', headers: { ...auth(), 'content-type': 'application/json' }, body: '{"meta":' });
    expect(bad.status).toBe(400);
    expect(RunRefused.parse(await bad.json())).toMatchObject({ error: 'invalid_json', issues: [{ rule: 'json' }] });

    const big = await new Promise<{ status: number; connection: string | undefined; body: string; closed: boolean }>((resolve, reject) => {
      const req = request(`${p.url}/v1/consents`, { method: 'PUT', headers: { ...auth(), 'content-type': 'application/json', 'content-length': String(1024 * 1024 + 1) } }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString('utf8')));
        res.on('end', () => res.socket.once('close', () => resolve({ status: res.statusCode!, connection: res.headers.connection, body, closed: true })));
      });
      req.on('error', reject);
      req.end('x'.repeat(1024 * 1024 + 1));
    });
    expect(big).toMatchObject({ status: 413, connection: 'close', closed: true });
    expect(JSON.parse(big.body)).toMatchObject({ error: 'payload_too_large' });
  });
});

describe('the client generated from the document (openapi-typescript + openapi-fetch)', () => {
  it('is what the document generates today (else: npm run generate:openapi-client -w @revos/test)', async () => {
    expect(readFileSync(OPENAPI_TYPES_FILE, 'utf8')).toBe(await renderOpenApiTypes());
  });

  it('runs a whole session through the strict proxy, typed end to end', async () => {
    const client = generatedClient(strict.url, key);
    const session = await runClientSession(client, `ui:${ulid()}`, 'p_client_session');
    expect(session.accepted).toMatchObject({ status: 'queued', run_status: 'ok' });
    expect(session.detail.run.workflow_run_id).toBe(session.accepted.workflow_run_id);
    expect(session.consentSet.changed).toBe(true);
    const taskId = await openTask(session.accepted.workflow_run_id);
    const claimed = await actOnTask(client, taskId, 'claim', { actor: 'generated client' });
    expect(claimed.data?.task).toMatchObject({ task_id: taskId, status: 'claimed', claimed_by_label: 'generated client' });
    const refused = await actOnTask(client, taskId, 'resolve', {});
    expect(refused.response.status).toBe(400);
  });
});
