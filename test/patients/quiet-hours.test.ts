/**
 * Quiet hours through the API (PUT /v1/policy names the window, POST /v1/runs submits texts) against
 * the real fleet, Redis and PostgreSQL, at a fixed clock on both sides of a daylight-saving change
 * (America/New_York springs forward on 14 March 2027): a covered text in the quiet window is deferred
 * to the next allowed minute (`deferred_quiet_hours`, a delayed job, no attempt spent, nothing sent)
 * and sent once when that minute comes; exemptions go at once; one that would go too late is `expired`;
 * the reminder sweep's texts wait like every text.
 */
import { issueApiKey, type Db } from '@revos/db';
import { reconcileOnce } from '@revos/runtime';
import { WF07_Change_Policy } from '@revos/workflows';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { allowSms, sleep, startHarness, TENANT, type Harness } from '../support/harness.js';
import type { TestProducer } from '../producer/helpers.js';
import { allowSmsAll, appointment, fireSweep, reminderSchedule } from '../reminders/sweep-helpers.js';
import { startPatientsProducer } from './helpers.js';

const at = (iso: string) => Date.parse(iso);
/** The clock WF30 reads (quiet hours, expiry); the tests set it, nothing sleeps until a window opens. */
let clockMs = at('2027-03-14T06:30:00Z');
let h: Harness;
let p: TestProducer;
let apiKey: string;

beforeAll(async () => {
  const records = { get sql() { return h.db.sql; } } as unknown as Db;
  h = await startHarness({ extraWorkflows: [WF07_Change_Policy(records)], services: { clock: () => clockMs }, lanes: ['interactive', 'batch'], immediateDispatch: true });
  p = await startPatientsProducer(h);
  ({ api_key: apiKey } = await issueApiKey(h.db.sql, TENANT, 'quiet-hours-test'));
  await allowSms(h.db, 'p_quiet');
  const res = await api('PUT', '/v1/policy', { ruleset: { quiet_hours: { allowed_from: '08:00', allowed_until: '21:00', classes: ['reminder', 'campaign'], reply_window_minutes: 15 } }, reason: 'TCPA window' });
  expect(res.status).toBe(202);
  expect((await h.waitForRun(res.body['workflow_run_id'] as string)).status).toBe('ok');
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});
beforeEach(() => h.vendor.reset());

async function api(method: 'PUT' | 'POST', path: string, body: unknown) {
  const res = await fetch(`${p.url}${path}`, { method, headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

let seq = 0;
/** Submits a text through the API; returns its run id. */
async function text(payload: Record<string, unknown>): Promise<string> {
  const res = await api('POST', '/v1/runs', {
    meta: { workflow_name: 'WF30_Send_SMS', trigger_source: 'ui', trigger_id: `qh_${Date.now()}_${seq++}`, environment: 'staging', privacy_mode: 'standard' },
    subject: { patient_id: 'p_quiet' },
    payload: { to: '+15557770001', body: 'Your cleaning is due', ...payload },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body['workflow_run_id'] as string;
}

async function eventsOf(runId: string) {
  return h.db.sql<{ event_type: string; payload: Record<string, any> }[]>`
    select event_type, payload from events where workflow_run_id = ${runId} order by occurred_at`;
}

async function waitForEvent(runId: string, type: string) {
  for (let i = 0; i < 400; i++) {
    const found = (await eventsOf(runId)).find((e) => e.event_type === type);
    if (found) return found;
    await sleep(25);
  }
  throw new Error(`no ${type} event for ${runId}`);
}

/**
 * The run's job in the lane's delayed set (what Bull Board lists as delayed), waited for up to 5 s: the
 * worker commits the deferral's event before it moves the job to delayed, so the event can be seen first.
 */
async function delayedJob(runId: string) {
  for (let i = 0; i < 200; i++) {
    const delayed = await h.queues.interactive.getDelayed();
    const job = delayed.find((j) => j.data?.meta?.workflow_run_id === runId);
    if (job) return job;
    await sleep(25);
  }
  return undefined;
}

const sentTo = (number: string) => h.vendor.resources.filter((r) => r.kind === 'message' && r.fields['to'] === number);

describe('quiet hours', () => {
  it('defers a reminder to 08:00 local on both sides of the spring-forward change, then sends it once', async () => {
    const cases = [
      { now: '2027-03-13T06:30:00Z', opens: '2027-03-13T13:00:00.000Z' }, // 01:30 EST → 08:00 EST
      { now: '2027-03-14T06:30:00Z', opens: '2027-03-14T12:00:00.000Z' }, // 01:30 EST, the change that night → 08:00 EDT
      { now: '2027-03-15T02:30:00Z', opens: '2027-03-15T12:00:00.000Z' }, // 22:30 EDT → 08:00 EDT
    ];
    const runs: string[] = [];
    for (const c of cases) {
      clockMs = at(c.now);
      const runId = await text({ message_class: 'reminder' });
      const event = await waitForEvent(runId, 'deferred_quiet_hours');
      expect(event.payload).toEqual({ deferred_until: c.opens, message_class: 'reminder', zone_source: 'practice' });
      runs.push(runId);
    }
    for (const runId of runs) {
      const row = await h.waitForRun(runId, (r) => r.status === 'queued');
      expect(row.retry_count).toBe(0); // no attempt spent
      const job = await delayedJob(runId);
      expect(job, 'the job waits in the delayed set').toBeDefined();
      expect(job!.attemptsMade).toBe(0);
      // Due hours from now: the job waits in Redis, not in a worker.
      expect(job!.timestamp + (job!.delay ?? 0)).toBeGreaterThan(Date.now() + 4 * 3_600_000);
      const [ledger] = await h.db.sql<{ state: string }[]>`select state from idempotency_keys where idempotency_key = ${row.idempotency_key}`;
      expect(ledger?.state).toBe('in_progress');
    }
    expect(sentTo('+15557770001')).toHaveLength(0);

    // The reconciler sees a deferred run as a live job and leaves it; if Redis lost the job, it is
    // enqueued again from the durable record and is deferred again, still unsent.
    const repairDeps = { db: h.db, queues: h.queues, catalog: h.catalog, log: h.deps.log };
    expect(await reconcileOnce(repairDeps, { graceMs: 0 })).toMatchObject({ reenqueued: 0, retried: 0, replaced: 0 });
    await (await delayedJob(runs[0]!))!.remove();
    expect((await reconcileOnce(repairDeps, { graceMs: 0 })).reenqueued).toBe(1);
    for (let i = 0; i < 400 && (await eventsOf(runs[0]!)).length < 2; i++) await sleep(25);
    expect((await eventsOf(runs[0]!)).map((e) => e.event_type)).toEqual(['deferred_quiet_hours', 'deferred_quiet_hours']);
    expect(await delayedJob(runs[0]!)).toBeDefined();
    expect(sentTo('+15557770001')).toHaveLength(0);

    // The window opens (the clock, not a sleep): the job is promoted and sent, once.
    clockMs = at('2027-03-14T12:00:00Z');
    const job = await delayedJob(runs[1]!);
    await job!.promote();
    const done = await h.waitForRun(runs[1]!);
    expect(done.status).toBe('ok');
    // The hours it waited for the window are not slowness: its latency clock started when it was due.
    expect(done.latency_breach).toBe(false);
    expect(job!.progress).toMatchObject({ deferred: 'deferred_quiet_hours' });
    expect(sentTo('+15557770001')).toHaveLength(1);
    expect((await eventsOf(runs[1]!)).map((e) => e.event_type)).toEqual(['deferred_quiet_hours', 'sms.sent']);
    // A duplicate delivery of the same run sends nothing more.
    const again = await h.queues.interactive.add('WF30_Send_SMS', job!.data, { jobId: `${job!.id}-again` });
    for (let i = 0; i < 400 && (await again.getState()) !== 'completed'; i++) await sleep(25);
    expect(await again.getState()).toBe('completed');
    expect(sentTo('+15557770001')).toHaveLength(1);
    for (const other of [runs[0]!, runs[2]!]) await (await delayedJob(other))?.remove();
  });

  it('sends at once what it does not cover or exempts: transactional texts, a prompt reply, a call-back asked for', async () => {
    clockMs = at('2027-03-14T06:30:00Z');
    const runs = await Promise.all([
      text({}), // transactional by default
      text({ message_class: 'campaign', in_reply_to_received_at: '2027-03-14T06:20:00Z' }),
      text({ message_class: 'reminder', callback_requested_at: '2027-03-14T06:00:00Z' }),
    ]);
    for (const runId of runs) expect((await h.waitForRun(runId)).status).toBe('ok');
    expect(sentTo('+15557770001')).toHaveLength(3);
    // A reply past the reply window is held like any covered text.
    const late = await text({ message_class: 'campaign', in_reply_to_received_at: '2027-03-14T06:00:00Z' });
    await waitForEvent(late, 'deferred_quiet_hours');
    expect(sentTo('+15557770001')).toHaveLength(3);
    await (await delayedJob(late))?.remove();
  });

  it('ends a text whose valid_until comes before the window opens blocked / expired, with an event, never sent', async () => {
    clockMs = at('2027-03-14T06:30:00Z');
    const runId = await text({ message_class: 'reminder', valid_until: '2027-03-14T11:00:00Z' });
    const row = await h.waitForRun(runId);
    expect([row.status, row.failure_code], JSON.stringify(row.output?.meta_out)).toEqual(['blocked', 'expired']);
    expect((await eventsOf(runId)).map((e) => [e.event_type, e.payload?.['field'], e.payload?.['held_by']])).toEqual([['sms.expired', 'valid_until', 'quiet_hours']]);
    expect(sentTo('+15557770001')).toHaveLength(0);
  });

  it('refuses a bad window or zone with 400 naming the field and the rule', async () => {
    const policy = await api('PUT', '/v1/policy', { ruleset: { quiet_hours: { allowed_from: '8am', allowed_until: '21:00', classes: ['marketing'] } } });
    expect(policy.status).toBe(400);
    expect((policy.body['issues'] as { path: string }[]).map((i) => i.path).sort()).toEqual(['ruleset.quiet_hours.allowed_from', 'ruleset.quiet_hours.classes.0']);
    const res = await api('POST', '/v1/runs', {
      meta: { workflow_name: 'WF30_Send_SMS', trigger_source: 'ui', trigger_id: `qh_bad_${Date.now()}`, environment: 'staging', privacy_mode: 'standard' },
      subject: { patient_id: 'p_quiet' },
      payload: { to: '+15557770001', body: 'Hi', recipient_timezone: 'Mars/Olympus_Mons', message_class: 'spam' },
    });
    expect(res.status).toBe(400);
    expect((res.body['issues'] as { path: string }[]).map((i) => i.path).sort()).toEqual(['payload.message_class', 'payload.recipient_timezone']);
  });

  it("defers the reminder sweep's texts in the quiet window like every text", async () => {
    // 02:00 New York (EST or EDT: night either way) of the latest such moment, so the appointments ahead are real.
    const night = new Date();
    night.setUTCHours(7, 0, 0, 0);
    if (night.getTime() > Date.now()) night.setUTCDate(night.getUTCDate() - 1);
    clockMs = night.getTime();
    h.vendor.addAppointments([appointment('q1', 30, '+15557770011'), appointment('q2', 40, '+15557770012')]);
    await allowSmsAll(h, ['p_q1', 'p_q2']);
    await fireSweep(h, reminderSchedule('quiet-sweep'), new Date());
    const sends = async () => h.db.sql<{ workflow_run_id: string; status: string }[]>`
      select workflow_run_id, status from workflow_runs where workflow_name = 'WF30_Send_SMS' and envelope->'subject'->>'patient_id' in ('p_q1', 'p_q2')`;
    for (let i = 0; i < 400 && (await sends()).length < 2; i++) await sleep(25);
    const children = await sends();
    expect(children).toHaveLength(2);
    for (const child of children) {
      const event = await waitForEvent(child.workflow_run_id, 'deferred_quiet_hours');
      expect(event.payload).toMatchObject({ message_class: 'reminder', zone_source: 'practice' });
      expect(Date.parse(event.payload['deferred_until'] as string)).toBeGreaterThan(clockMs);
      expect(await delayedJob(child.workflow_run_id)).toBeDefined();
    }
    expect(sentTo('+15557770011')).toHaveLength(0);
    expect(sentTo('+15557770012')).toHaveLength(0);
    for (const child of children) await (await delayedJob(child.workflow_run_id))?.remove();
  });
});
