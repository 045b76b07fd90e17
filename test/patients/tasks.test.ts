import { createApiKey, issueApiKey, upsertTenant } from '@revos/db';
import { submitRun } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTwilioSmsProvider } from '@revos/workflows';
import { allowSms, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { MISBEHAVIOUR } from '../support/vendor-standin.js';
import type { TestProducer } from '../producer/helpers.js';
import { newMessageSid, revos, startPatientsProducer, textIn, textOut } from './helpers.js';

/** Escalation tasks as staff work: list, claim, resolve, reopen through the API and the CLI; WF42 stops once handled. */
const OTHER_TENANT = 't_other_practice';
let h: Harness;
let p: TestProducer;
let key: string;
/** The key's public id: the API records task actions as `api:<key id>`. */
let keyId: string;
let otherKey: string;
beforeAll(async () => {
  h = await startHarness();
  p = await startPatientsProducer(h);
  await upsertTenant(h.db.sql, { tenantId: OTHER_TENANT, name: 'Other' });
  ({ api_key: key, key_id: keyId } = await issueApiKey(h.db.sql, TENANT));
  otherKey = await createApiKey(h.db.sql, OTHER_TENANT);
  for (const patient of ['p_hal', 'p_ivy', 'p_jon']) await allowSms(h.db, patient);
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

interface TaskJson {
  task_id: string;
  status: string;
  kind: string;
  claimed_by: string | null;
  claimed_by_label: string | null;
  resolution: string | null;
  resolution_note: string | null;
  resolved_by: string | null;
  failure_code: string | null;
  age_s: number;
}

async function call(method: 'GET' | 'POST', path: string, body?: unknown, k = key): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${k}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const taskEvents = (taskId: string) =>
  h.db.sql<{ event_type: string; payload: Record<string, unknown> | null }[]>`
    select event_type, payload from events where payload->>'task_id' = ${taskId} order by occurred_at, event_id`;

/** A reschedule request by text: WF31 opens a task. */
async function rescheduleTask(patientId: string, number: string, appointmentId: string): Promise<string> {
  expect((await textOut(h, { to: number, patientId, template: 'appointment_reminder', appointmentId })).status).toBe('ok');
  const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: number, body: 'I need to reschedule please' });
  const taskId = run.output?.result.primary_outputs['task_id'];
  expect(typeof taskId).toBe('string');
  return taskId as string;
}

describe('the task lifecycle through /v1/tasks', () => {
  let taskId: string;

  it('a reschedule reply opens one task, however often Twilio delivers it', async () => {
    expect((await textOut(h, { to: '+15554440001', patientId: 'p_hal', template: 'appointment_reminder', appointmentId: 'apt_900' })).status).toBe('ok');
    const sid = newMessageSid();
    const run = await textIn(h, p, { tenant: TENANT, sid, from: '+15554440001', body: 'Can I reschedule?' });
    await textIn(h, p, { tenant: TENANT, sid, from: '+15554440001', body: 'Can I reschedule?' });
    expect(run.output?.result.primary_outputs).toMatchObject({ intent: 'reschedule', appointment_id: 'apt_900' });
    taskId = run.output?.result.primary_outputs['task_id'] as string;
    const [count] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from tasks where kind = 'reschedule_request'`;
    expect(count?.n).toBe(1);
    const [task] = await h.db.sql<{ reason: string }[]>`select reason from tasks where task_id = ${taskId}`;
    expect(task?.reason).toBe('patient asked by text to reschedule appointment apt_900');
  });

  it('GET /v1/tasks lists it as open with its age', async () => {
    const { status, json } = await call('GET', '/v1/tasks');
    expect(status).toBe(200);
    const task = (json.tasks as TaskJson[]).find((t) => t.task_id === taskId);
    expect(task).toMatchObject({ status: 'open', kind: 'reschedule_request', claimed_by: null });
    expect(task!.age_s).toBeGreaterThanOrEqual(0);
  });

  it('claim: once by one person; again by them is unchanged, by someone else 409', async () => {
    // Who acted comes from the key; the body's actor is the caller's label for its user, kept apart.
    const first = await call('POST', `/v1/tasks/${taskId}/claim`, { actor: 'amy' });
    expect(first).toMatchObject({ status: 200, json: { changed: true, task: { status: 'claimed', claimed_by: `api:${keyId}`, claimed_by_label: 'amy' } } });
    expect(await call('POST', `/v1/tasks/${taskId}/claim`, { actor: 'amy' })).toMatchObject({ status: 200, json: { changed: false } });
    expect(await call('POST', `/v1/tasks/${taskId}/claim`, { actor: 'bob' })).toMatchObject({ status: 409, json: { error: 'task_claimed', message: `the task is claimed by api:${keyId} (amy)` } });
  });

  it('resolve: needs a resolution that fits the task; a repeat is unchanged, another resolution 409', async () => {
    expect(await call('POST', `/v1/tasks/${taskId}/resolve`, {})).toMatchObject({ status: 400, json: { error: 'invalid_body', issues: [{ path: 'resolution', rule: 'required' }] } });
    expect(await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'maybe' })).toMatchObject({ status: 400, json: { issues: [{ path: 'resolution' }] } });
    expect(await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'sent' })).toMatchObject({ status: 409, json: { error: 'resolution_not_applicable' } });
    const done = await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'resolved', note: 'moved to Friday 10:00', actor: 'amy' });
    expect(done).toMatchObject({ status: 200, json: { changed: true, task: { status: 'done', resolution: 'resolved', resolution_note: 'moved to Friday 10:00', resolved_by: `api:${keyId}`, resolved_by_label: 'amy' } } });
    expect(await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'resolved' })).toMatchObject({ status: 200, json: { changed: false } });
    expect(await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'dismissed' })).toMatchObject({ status: 409, json: { error: 'task_done' } });
    expect(await call('POST', `/v1/tasks/${taskId}/claim`, { actor: 'bob' })).toMatchObject({ status: 409, json: { error: 'task_done' } });
    const listed = await call('GET', '/v1/tasks');
    expect((listed.json.tasks as TaskJson[]).map((t) => t.task_id)).not.toContain(taskId);
    const doneList = await call('GET', '/v1/tasks?status=done');
    expect((doneList.json.tasks as TaskJson[]).map((t) => t.task_id)).toContain(taskId);
  });

  it('reopen puts it back; every change was one event naming the actor, never the note', async () => {
    expect(await call('POST', `/v1/tasks/${taskId}/reopen`)).toMatchObject({ status: 200, json: { changed: true, task: { status: 'open', resolution: null, claimed_by: null } } });
    const events = await taskEvents(taskId);
    expect(events.map((e) => e.event_type)).toEqual(['task.created', 'task.claimed', 'task.resolved', 'task.reopened']);
    expect(events[2]?.payload).toMatchObject({ actor: `api:${keyId}`, actor_label: 'amy', from: 'claimed', to: 'done', resolution: 'resolved', has_note: true });
    expect(JSON.stringify(events)).not.toContain('Friday');
  });

  it('answers 404 for an unknown task, another tenant, or an unknown action; 400 naming bad query fields', async () => {
    expect((await call('POST', '/v1/tasks/task_nope/claim')).status).toBe(404);
    expect((await call('POST', `/v1/tasks/${taskId}/claim`, undefined, otherKey)).status).toBe(404);
    expect(((await call('GET', '/v1/tasks', undefined, otherKey)).json.tasks as unknown[]).length).toBe(0);
    expect((await call('POST', `/v1/tasks/${taskId}/delete`)).status).toBe(404);
    expect(await call('GET', '/v1/tasks?status=closed&limit=0')).toMatchObject({ status: 400, json: { issues: [{ path: 'status' }, { path: 'limit' }] } });
    expect(await call('POST', `/v1/tasks/${taskId}/claim`, { resolution: 'resolved' })).toMatchObject({ status: 400, json: { issues: [{ path: 'resolution', rule: 'not_allowed' }] } });
  });
});

describe('revos tasks claim|resolve', () => {
  it('claims and resolves with the operator as the actor, and exits 1 naming a refused change', async () => {
    const taskId = await rescheduleTask('p_ivy', '+15554440002', 'apt_901');
    const claim = await revos(h, 'tasks', 'claim', taskId, '--tenant', TENANT, '--operator', 'kim');
    expect(claim).toMatchObject({ code: 0, stdout: `task ${taskId} claimed claimed by cli:kim\n` });
    const stolen = await revos(h, 'tasks', 'claim', taskId, '--tenant', TENANT, '--operator', 'lou');
    expect(stolen.code).toBe(1);
    expect(stolen.stderr).toMatch(/task_claimed \(the task is claimed by cli:kim\)/);
    const noResolution = await revos(h, 'tasks', 'resolve', taskId, '--tenant', TENANT);
    expect(noResolution.code).toBe(2);
    expect(noResolution.stderr).toMatch(/--resolution/);
    const resolved = await revos(h, 'tasks', 'resolve', taskId, '--tenant', TENANT, '--resolution', 'dismissed', '--note', 'patient called back', '--json');
    expect(resolved.code).toBe(0);
    expect(JSON.parse(resolved.stdout)).toMatchObject({ changed: true, task: { status: 'done', resolution: 'dismissed', resolved_by: 'cli:dana', resolution_note: 'patient called back' } });
    const missing = await revos(h, 'tasks', 'claim', 'task_nope', '--tenant', TENANT);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/task_nope: not_found/);
    const listed = await revos(h, 'tasks', 'list', '--tenant', TENANT, '--json');
    expect((JSON.parse(listed.stdout) as { tasks: { task_id: string }[] }).tasks.map((t) => t.task_id)).not.toContain(taskId);
  });
});

describe('an unknown vendor outcome', () => {
  let counter = 0;
  /** A WF30 run the vendor cannot settle: the same text already went to the number twice, then a 504. */
  async function undecidableRun(to: string) {
    const body = `Your results are ready (${++counter})`;
    const sms = createTwilioSmsProvider({ baseUrl: h.vendor.url, accountSid: 'AC_test', authToken: 'x', timeoutMs: 2_000 });
    for (let i = 0; i < 2; i++) await sms.sendMessage({ to, from: TENANT_CONFIG.sms_from, body });
    h.vendor.script('sms', [{ ...MISBEHAVIOUR.gateway504, accept: false }]);
    const e = h.envelope({ workflow: 'WF30_Send_SMS', payload: { to, body }, subject: { patient_id: 'p_jon' } });
    await submitRun(h, e, { source: 'api' });
    const run = await h.waitForRun(e.meta.workflow_run_id, (r) => r.status === 'failed', 30_000);
    expect(run.failure_code).toBe('effect_outcome_unknown');
    const [task] = await h.db.sql<{ task_id: string }[]>`select task_id from tasks where workflow_run_id = ${run.workflow_run_id}`;
    const sends = () => h.vendor.requests.filter((r) => r.route === 'sms' && r.form?.['Body'] === body).length;
    expect(sends()).toBe(3);
    return { e, taskId: task!.task_id, sends };
  }
  const effectState = async (key: string) =>
    (await h.db.sql<{ state: string; settlement: Record<string, unknown> | null }[]>`
      select state, settlement from effects where idempotency_key = ${key} and effect_name = 'sms.send'`)[0]!;

  it('resolved sent: the journal is completed by staff, the task closes, nothing is sent again', async () => {
    const { e, taskId, sends } = await undecidableRun('+15554440003');
    const answer = await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'sent', note: 'patient confirmed receipt' });
    expect(answer).toMatchObject({ status: 200, json: { task: { status: 'done', resolution: 'sent' } } });
    expect(await effectState(e.meta.idempotency_key)).toMatchObject({ state: 'completed', settlement: { outcome: 'sent', state_before: 'unknown' } });
    const [run] = await h.db.sql<{ status: string }[]>`select status from workflow_runs where workflow_run_id = ${e.meta.workflow_run_id}`;
    expect(run?.status).toBe('failed');
    expect(sends()).toBe(3);
    // Answered once: a second answer is refused, the journal is no longer waiting.
    expect((await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'not_sent' })).status).toBe(409);
  }, 40_000);

  it('resolved not_sent: the run goes again with exactly one new call and ends ok', async () => {
    const { e, taskId, sends } = await undecidableRun('+15554440004');
    const answer = await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'not_sent', note: 'not in the console' });
    expect(answer).toMatchObject({ status: 200, json: { task: { status: 'done', resolution: 'not_sent' }, rerun: { ok: true } } });
    const run = await h.waitForRun(e.meta.workflow_run_id, (r) => r.status === 'ok', 30_000);
    expect(run.status).toBe('ok');
    expect(sends()).toBe(4);
    expect(await effectState(e.meta.idempotency_key)).toMatchObject({ state: 'completed', settlement: { outcome: 'not_sent' } });
  }, 40_000);

  it('a task whose run has nothing unsettled is refused naming that; dismissing stays possible', async () => {
    const { e, taskId } = await undecidableRun('+15554440005');
    await h.db.sql`
      insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, failure_code, reason)
      values ('task_settled_already', ${TENANT}, ${e.meta.workflow_run_id}, ${e.meta.workflow_run_id}, 'idem:none', 'escalation', 'effect_outcome_unknown', 'test')`;
    expect(await call('POST', '/v1/tasks/task_settled_already/resolve', { resolution: 'not_sent' })).toMatchObject({ status: 409, json: { error: 'no_unsettled_effect' } });
    expect(await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'dismissed' })).toMatchObject({ status: 200 });
    expect(await effectState(e.meta.idempotency_key)).toMatchObject({ state: 'unknown', settlement: null });
  }, 40_000);
});

describe('WF42 follow-ups', () => {
  async function followUp(taskId: string, n: number) {
    const e = h.envelope({
      workflow: 'WF42_Escalation_Follow_Up',
      payload: { task_id: taskId, source_run_id: 'wr_01JTESTSOURCE', source_workflow: 'WF30_Send_SMS', failure_code: 'invalid_input', follow_up_number: n },
    });
    await submitRun(h, e, { source: 'api' });
    return h.waitForRun(e.meta.workflow_run_id);
  }

  it('page again while a task is open, and stop once it is claimed or resolved', async () => {
    const taskId = await rescheduleTask('p_ivy', '+15554440004', 'apt_902');
    const open = await followUp(taskId, 1);
    expect(open.output?.result.primary_outputs).toMatchObject({ task_status: 'open', repaged: true });
    expect(open.output?.result.next_actions.map((a) => a.workflow)).toEqual(['WF21_Escalate_To_Staff']);
    await call('POST', `/v1/tasks/${taskId}/claim`, { actor: 'amy' });
    const claimed = await followUp(taskId, 2);
    expect(claimed.output?.result).toMatchObject({ primary_outputs: { task_status: 'claimed', repaged: false }, next_actions: [] });
    await call('POST', `/v1/tasks/${taskId}/resolve`, { resolution: 'resolved' });
    const resolved = await followUp(taskId, 2);
    expect(resolved.output?.result).toMatchObject({ primary_outputs: { task_status: 'done', repaged: false }, next_actions: [] });
  });
});
