import { createApiKey, upsertTenant } from '@revos/db';
import { fromJobId, keyForEnvelope } from '@revos/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ulid } from 'ulid';
import { allowSms, invalidStoredOutputs, startHarness, TENANT, type Harness } from '../support/harness.js';
import { queuedJobCount, rowCounts, startTestProducer, type TestProducer } from './helpers.js';

const OTHER_TENANT = 't_other_practice';
let h: Harness;
let p: TestProducer;
let key: string;
let otherKey: string;

beforeAll(async () => {
  h = await startHarness();
  await allowSms(h.db, 'p_ada');
  await upsertTenant(h.db.sql, { tenantId: OTHER_TENANT, name: 'Other Practice' });
  key = await createApiKey(h.db.sql, TENANT);
  otherKey = await createApiKey(h.db.sql, OTHER_TENANT);
  p = await startTestProducer(h);
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

/** A partial envelope as a caller writes it: ids, key, timestamp and version are filled in by the API. */
function logEventBody(triggerId = `ui:${ulid()}`, extra: Record<string, unknown> = {}) {
  return {
    meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', trigger_id: triggerId, environment: 'staging', privacy_mode: 'standard' },
    subject: {},
    payload: { event_type: 'note.added', direction: 'internal', attributes: { ref: 'n_1' } },
    ...extra,
  };
}

async function post(body: unknown, apiKey: string | null = key, raw = false): Promise<{ status: number; json: any }> {
  const res = await fetch(`${p.url}/v1/runs`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}) },
    body: raw ? (body as string) : JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

async function get(path: string, apiKey = key): Promise<{ status: number; json: any }> {
  const res = await fetch(`${p.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  return { status: res.status, json: await res.json() };
}

describe('producer API: intake', () => {
  it('answers /healthz after checking PostgreSQL and Redis', async () => {
    const res = await fetch(`${p.url}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('accepts a run with 202 and answers the same POST again with 200 duplicate naming the first run', async () => {
    const body = logEventBody();
    const first = await post(body);
    expect(first.status).toBe(202);
    expect(first.json).toMatchObject({ status: 'queued', workflow_run_id: expect.stringMatching(/^wr_/) });
    expect(first.json.root_run_id).toBe(first.json.workflow_run_id);
    expect(Object.keys(first.json).sort()).toEqual(['idempotency_key', 'job_id', 'root_run_id', 'status', 'workflow_run_id']);

    const second = await post(body);
    expect(second.status).toBe(200);
    expect(second.json).toEqual({ ...first.json, status: 'duplicate' });
    const [accepted] = await h.db.sql`select workflow_run_id, source from accepted_runs where idempotency_key = ${first.json.idempotency_key}`;
    expect(accepted).toEqual({ workflow_run_id: first.json.workflow_run_id, source: 'api' });
  });

  it('stamps the arrival itself: a caller\'s meta.accepted_at_utc is replaced, and the run\'s latency counts from it', async () => {
    const body = logEventBody();
    (body.meta as Record<string, unknown>).accepted_at_utc = '2020-01-01T00:00:00Z';
    const sentAt = Date.now();
    const res = await post(body);
    expect(res.status).toBe(202);
    const [row] = await h.db.sql<{ accepted_at_utc: string }[]>`
      select run_envelope(workflow_runs)->'meta'->>'accepted_at_utc' as accepted_at_utc from workflow_runs where workflow_run_id = ${res.json.workflow_run_id}`;
    const stamped = Date.parse(row!.accepted_at_utc);
    expect(stamped).toBeGreaterThanOrEqual(sentAt - 1_000); // not the caller's 2020
    const run = await h.waitForRun(res.json.workflow_run_id);
    const out = run.output!.meta_out;
    expect(out.latency_ms).toBe(Date.parse(out.ended_at_utc) - stamped);
  });

  it('answers 10 concurrent identical POSTs with exactly one 202 and nine duplicates of the same run', async () => {
    const body = logEventBody();
    const answers = await Promise.all(Array.from({ length: 10 }, () => post(body)));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.json.status === 'duplicate')).toHaveLength(9);
    const runIds = new Set(answers.map((a) => a.json.workflow_run_id));
    expect(runIds.size).toBe(1);
    const keyOf = answers[0]!.json.idempotency_key as string;
    const [counts] = await h.db.sql`
      select (select count(*)::int from workflow_runs where idempotency_key = ${keyOf}) as runs,
             (select count(*)::int from accepted_runs where idempotency_key = ${keyOf}) as accepted`;
    expect(counts).toEqual({ runs: 1, accepted: 1 });
    await h.waitForRun([...runIds][0] as string);
  });

  it('refuses a missing or unknown API key with 401', async () => {
    expect(await post(logEventBody(), null)).toEqual({ status: 401, json: { error: 'unauthorized' } });
    expect(await post(logEventBody(), 'rvk_not-a-key')).toEqual({ status: 401, json: { error: 'unauthorized' } });
    const res = await fetch(`${p.url}/v1/runs/wr_X`, { headers: { authorization: 'Basic abc' } });
    expect(res.status).toBe(401);
  });

  it('answers a body that is not JSON with 400 invalid_json', async () => {
    expect(await post('{"meta":', key, true)).toEqual({ status: 400, json: { error: 'invalid_json', issues: [{ path: '', rule: 'json', message: 'the body is not valid JSON' }] } });
  });

  it('lists every failing field of a bad body, options included, not just the first', async () => {
    const [before] = await h.db.sql`select count(*)::int as n from accepted_runs`;
    const body = {
      meta: { workflow_name: 'WF11_Log_Event', trigger_source: 'ui', environment: 'staging', privacy_mode: 'secret' },
      subject: {},
      payload: 'not an object',
      options: { priority: 'urgent' },
    };
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_envelope');
    const found = (json.issues as { path: string; rule: string }[]).map((i) => `${i.path} ${i.rule}`);
    expect(found).toEqual(
      expect.arrayContaining(['meta.trigger_id required', 'meta.privacy_mode invalid_enum', 'payload type:object', 'options.priority invalid_enum']),
    );
    const [after] = await h.db.sql`select count(*)::int as n from accepted_runs`;
    expect(after?.n).toBe(before?.n); // nothing recorded
  });

  it("refuses a payload that breaks the workflow's own schema with 400 naming each field, and records nothing", async () => {
    const before = await rowCounts(h);
    const jobsBefore = await queuedJobCount(h);
    const body = logEventBody();
    body.payload = { event_type: 'Not A Type', direction: 'sideways', attributes: { ref: 'n_1' }, unexpected: true } as never;
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(json.error).toBe('invalid_envelope');
    const found = (json.issues as { path: string; rule: string }[]).map((i) => `${i.path} ${i.rule}`);
    expect(found).toEqual(expect.arrayContaining(['payload.event_type pattern:event_type', 'payload.direction invalid_enum', 'payload.unexpected unknown_key']));
    expect(await rowCounts(h)).toEqual(before);
    expect(await queuedJobCount(h)).toBe(jobsBefore);
  });

  it("names a missing payload field as required, together with the envelope's own issues in one answer", async () => {
    const body = {
      meta: { workflow_name: 'WF18_Schedule', trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' },
      subject: { patient_id: 'not-a-patient-id' },
      payload: { practice_id: 'prac_1', confirm_to: 'ring +15551230001' },
    };
    const { status, json } = await post(body);
    expect(status).toBe(400);
    const found = (json.issues as { path: string; rule: string }[]).map((i) => `${i.path} ${i.rule}`);
    expect(found).toEqual(expect.arrayContaining(['subject.patient_id pattern:patient_id', 'payload.slot_start required', 'payload.confirm_to pattern:confirm_to']));
    // Messages describe the rule, never the caller's value (a phone number here).
    expect(JSON.stringify(json)).not.toContain('+15551230001');
  });

  it('validates the payload against the version the envelope names', async () => {
    const body = logEventBody();
    (body.meta as Record<string, unknown>).workflow_version = '1.0.0';
    expect((await post(body)).status).toBe(202);
    body.payload = { direction: 'internal' } as never;
    const { status, json } = await post(body);
    expect(status).toBe(400);
    expect(json.issues).toEqual([expect.objectContaining({ path: 'payload.event_type', rule: 'required' })]);
  });

  it('answers an unknown workflow with 404', async () => {
    const body = logEventBody();
    body.meta.workflow_name = 'WF99_Not_Registered';
    const { status, json } = await post(body);
    expect(status).toBe(404);
    expect(json).toMatchObject({ error: 'unknown_workflow', issues: [{ path: 'meta.workflow_name', rule: 'unknown_workflow' }] });
  });

  it('answers a caller-supplied key computed for another payload with 409', async () => {
    const body = logEventBody();
    const meta = body.meta as Record<string, unknown>;
    meta.idempotency_key = keyForEnvelope({ tenant_id: TENANT, workflow_name: 'WF11_Log_Event', trigger_id: meta.trigger_id as string, payload: { other: true } });
    const { status, json } = await post(body);
    expect(status).toBe(409);
    expect(json).toMatchObject({ error: 'idempotency_conflict', issues: [{ path: 'meta.idempotency_key', rule: 'payload_hash_mismatch' }] });
  });

  it('answers a body naming another tenant with 403, whatever the key', async () => {
    const body = logEventBody();
    (body.meta as Record<string, unknown>).tenant_id = OTHER_TENANT;
    const { status, json } = await post(body);
    expect(status).toBe(403);
    expect(json.error).toBe('tenant_mismatch');
  });

  it('records options: priority and run_after_utc reach the record and the queue', async () => {
    const runAfter = new Date(Date.now() + 60 * 60_000).toISOString();
    const { status, json } = await post(logEventBody(undefined, { options: { priority: 'low', run_after_utc: runAfter } }));
    expect(status).toBe(202);
    const [row] = await h.db.sql`select priority, run_after from accepted_runs where workflow_run_id = ${json.workflow_run_id}`;
    expect(row?.priority).toBe('low');
    expect((row?.run_after as Date).toISOString()).toBe(runAfter);
    const job = await h.queues.batch.getJob(json.job_id);
    expect(await job?.getState()).toBe('delayed');
    // Fair share: a delayed run joins its lane at the round current when it was queued (1 on an idle lane).
    expect(job?.opts.priority).toBe(1);
    await job?.remove();
  });
});

describe('producer API: keys with colons and the run explorer', () => {
  it('round-trips a seed-format key whose trigger_id contains colons: API, jobId and ledger agree', async () => {
    const triggerId = `call:CA123:leg:${ulid()}`;
    const body = logEventBody(triggerId);
    const idempotencyKey = keyForEnvelope({ tenant_id: TENANT, workflow_name: 'WF11_Log_Event', trigger_id: triggerId, payload: body.payload });
    (body.meta as Record<string, unknown>).idempotency_key = idempotencyKey;
    const { status, json } = await post(body);
    expect(status).toBe(202);
    expect(json.idempotency_key).toBe(idempotencyKey);
    expect(json.job_id).not.toContain(':');
    expect(fromJobId(json.job_id)).toBe(idempotencyKey);

    const run = await h.waitForRun(json.workflow_run_id);
    expect(run.status).toBe('ok');
    expect(run.idempotency_key).toBe(idempotencyKey);
    const [ledger] = await h.db.sql`select idempotency_key, workflow_run_id, state from idempotency_keys where idempotency_key = ${idempotencyKey}`;
    expect(ledger).toEqual({ idempotency_key: idempotencyKey, workflow_run_id: json.workflow_run_id, state: 'completed' });
    const [trigger] = await h.db.sql`select run_envelope(workflow_runs)->'meta'->>'trigger_id' as trigger_id from workflow_runs where workflow_run_id = ${json.workflow_run_id}`;
    expect(trigger?.trigger_id).toBe(triggerId);
  });

  it('shows a finished WF30 run: envelope, output, events, external calls, and its tree', async () => {
    const { status, json } = await post({
      meta: { workflow_name: 'WF30_Send_SMS', trigger_source: 'ui', trigger_id: `ui:${ulid()}`, environment: 'staging', privacy_mode: 'standard' },
      subject: { patient_id: 'p_ada' },
      payload: { to: '+15551230001', body: 'see you tomorrow' },
    });
    expect(status).toBe(202);
    const runId = json.workflow_run_id as string;
    expect((await h.waitForRun(runId)).status).toBe('ok');

    const detail = await get(`/v1/runs/${runId}`);
    expect(detail.status).toBe(200);
    expect(detail.json.run).toMatchObject({ workflow_run_id: runId, workflow_name: 'WF30_Send_SMS', status: 'ok', tenant_id: TENANT, trigger_source: 'ui' });
    expect(detail.json.run.envelope.payload).toEqual({ to: '+15551230001', body: 'see you tomorrow' });
    expect(detail.json.run.output.result.status).toBe('ok');
    expect(detail.json.events.map((e: { event_type: string }) => e.event_type)).toEqual(['sms.sent']);
    expect(detail.json.external_calls).toEqual([expect.objectContaining({ service: 'twilio', endpoint: 'messages.create', success: true })]);
    expect(detail.json.external_calls).toEqual(detail.json.run.output.audit.external_calls);
    expect(detail.json.tasks).toEqual([]);
    expect(h.vendor.countFor('sms')).toBe(1);

    const tree = await get(`/v1/runs/${runId}/tree`);
    expect(tree.status).toBe(200);
    expect(tree.json.root_run_id).toBe(runId);
    expect(tree.json.runs).toHaveLength(1);
    expect(tree.json.runs[0]).toMatchObject({ workflow_run_id: runId, workflow_name: 'WF30_Send_SMS', status: 'ok', parent_run_id: null, retry_count: 0, latency_breach: false });
    expect(typeof tree.json.runs[0].latency_ms).toBe('number');
    expect(tree.json.runs[0]).not.toHaveProperty('envelope');
    expect(tree.json.runs[0]).not.toHaveProperty('output');
    expect(tree.json.tree).toMatchObject({ workflow_run_id: runId, children: [] });
  });

  it('answers 404 for another tenant\'s run and for an unknown id', async () => {
    const { json } = await post(logEventBody());
    const runId = json.workflow_run_id as string;
    expect((await get(`/v1/runs/${runId}`)).status).toBe(200);
    expect(await get(`/v1/runs/${runId}`, otherKey)).toEqual({ status: 404, json: { error: 'not_found' } });
    expect(await get(`/v1/runs/${runId}/tree`, otherKey)).toEqual({ status: 404, json: { error: 'not_found' } });
    expect(await get('/v1/runs/wr_DOESNOTEXIST')).toEqual({ status: 404, json: { error: 'not_found' } });
    expect(await get('/v1/runs/wr_DOESNOTEXIST/tree')).toEqual({ status: 404, json: { error: 'not_found' } });
  });

  it('never logs bodies, and stored only outputs that pass the contract schema', async () => {
    expect(p.logText.join('')).not.toContain('see you tomorrow');
    expect(p.logText.join('')).not.toContain('+15551230001');
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
