import { WorkflowError } from '@revos/envelope';
import { defineWorkflow } from '@revos/runtime';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidStoredOutputs, sleep, startHarness, type Harness } from '../support/harness.js';

/*
 * Budgets here are a few hundred milliseconds and the slow cases far above them, so a loaded
 * 2-core machine (a cold first run, other suites) cannot turn a fast case into a breach.
 */
const BUDGET_MS = 400;
const SLOW_MS = 1_500;

/** A voice turn whose "thinking" takes `think_ms`. */
const slowTurn = defineWorkflow({
  name: 'WF94_Test_Slow_Voice_Turn',
  version: '1.0.0',
  lane: 'realtime',
  channel: 'voice',
  latencyBudgetMs: BUDGET_MS,
  payload: z.object({ think_ms: z.number().int().min(0), call_sid: z.string().optional() }),
  async run(ctx) {
    await sleep(ctx.payload.think_ms);
    return { summary: 'turn answered', primary_outputs: { thought_ms: ctx.payload.think_ms } };
  },
});
/** Batch work has no budget: tracked, never breached. */
const slowBatch = defineWorkflow({
  name: 'WF95_Test_Slow_Batch',
  version: '1.0.0',
  lane: 'batch',
  payload: z.object({}),
  async run() {
    await sleep(120);
    return { summary: 'batch done' };
  },
});
/** An SMS-channel workflow over its budget breaches but gets no real-time fallback. */
const slowSms = defineWorkflow({
  name: 'WF96_Test_Slow_Sms_Reply',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'sms',
  latencyBudgetMs: BUDGET_MS,
  payload: z.object({}),
  async run() {
    await sleep(SLOW_MS);
    return { summary: 'reply composed' };
  },
});
/** A voice turn that fails terminally (or, with `retry_first`, retryably on its first attempt). */
const failingTurn = defineWorkflow({
  name: 'WF97_Test_Failing_Voice_Turn',
  version: '1.0.0',
  lane: 'realtime',
  channel: 'voice',
  latencyBudgetMs: BUDGET_MS,
  backoff: { baseMs: 50, maxMs: 100 },
  payload: z.object({ call_sid: z.string(), retry_first: z.boolean().optional() }),
  async run(ctx) {
    if (!ctx.payload.retry_first) throw new WorkflowError('invalid_input', 'the turn cannot be understood');
    if (ctx.retryCount === 0) throw new WorkflowError('vendor_unavailable', 'speech service down');
    return { summary: 'answered on the retry' };
  },
});
/** A voice turn that outlives its run timeout and has no attempt left. */
const hangingTurn = defineWorkflow({
  name: 'WF98_Test_Hanging_Voice_Turn',
  version: '1.0.0',
  lane: 'realtime',
  channel: 'voice',
  latencyBudgetMs: BUDGET_MS,
  timeoutMs: 600,
  attempts: 1,
  payload: z.object({ call_sid: z.string() }),
  async run(ctx) {
    await sleep(5_000);
    return { summary: `never ${ctx.payload.call_sid}` };
  },
});

const CALL_SID = `CA${'ab'.repeat(16)}`;

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [slowTurn, slowBatch, slowSms, failingTurn, hangingTurn], breachAlert: { count: 3, windowMs: 60_000 } });
});
afterAll(async () => {
  await h?.close();
});

/** Enqueues a run; `arrivedMsAgo` stamps intake's arrival that long before now. */
async function run(workflow: string, payload: Record<string, unknown>, options: { arrivedMsAgo?: number; until?: (r: { status: string }) => boolean } = {}) {
  const envelope = h.envelope({ workflow, payload });
  if (options.arrivedMsAgo !== undefined) envelope.meta.accepted_at_utc = new Date(Date.now() - options.arrivedMsAgo).toISOString();
  await h.enqueue(envelope);
  return { envelope, row: await h.waitForRun(envelope.meta.workflow_run_id, options.until, 20_000) };
}

const outboxOf = (runId: string) =>
  h.db.sql<{ workflow: string; priority: string; payload: Record<string, unknown> }[]>`
    select workflow, priority, payload from outbox where parent_run_id = ${runId} order by action_index`;
const latencyAlerts = () => h.db.sql<{ workflow_name: string; details: Record<string, unknown> }[]>`
  select workflow_name, details from alerts where kind = 'latency_breach_repeated'`;

describe('latency budgets', () => {
  it('a fast voice turn stays within budget: no breach, no fallback', async () => {
    const { envelope, row } = await run('WF94_Test_Slow_Voice_Turn', { think_ms: 0 });
    expect(row.status).toBe('ok');
    expect(row.latency_breach).toBe(false);
    expect(row.output?.meta_out.latency_breach).toBe(false);
    expect(await outboxOf(envelope.meta.workflow_run_id)).toEqual([]);
  });

  it('a slow voice turn sets latency_breach and hands the call to WF71', async () => {
    const { envelope, row } = await run('WF94_Test_Slow_Voice_Turn', { think_ms: SLOW_MS, call_sid: CALL_SID });
    expect(row.status).toBe('ok');
    expect(row.latency_breach).toBe(true);
    expect(row.output?.meta_out.latency_breach).toBe(true);
    expect(row.output!.meta_out.latency_ms).toBeGreaterThan(BUDGET_MS);
    const actions = await outboxOf(envelope.meta.workflow_run_id);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({
      workflow: 'WF71_RealTime_Fallback',
      priority: 'high',
      payload: { call_sid: CALL_SID, source_run_id: envelope.meta.workflow_run_id, budget_ms: BUDGET_MS, reason: 'latency_breach' },
    });
    expect(await latencyAlerts()).toEqual([]); // one breach is not yet "repeated"
  });

  it('counts from the trigger\'s arrival: a quick run that waited in the queue breaches', async () => {
    const { envelope, row } = await run('WF94_Test_Slow_Voice_Turn', { think_ms: 0, call_sid: CALL_SID }, { arrivedMsAgo: SLOW_MS });
    expect(row.status).toBe('ok');
    expect(row.latency_breach).toBe(true);
    expect(row.output!.meta_out.latency_ms).toBeGreaterThanOrEqual(SLOW_MS);
    // started_at_utc stays the worker's pickup; the latency covers the wait before it.
    const out = row.output!.meta_out;
    expect(Date.parse(out.ended_at_utc) - Date.parse(out.started_at_utc)).toBeLessThan(out.latency_ms);
    expect(await outboxOf(envelope.meta.workflow_run_id)).toHaveLength(1);
  });

  it('repeated breaches write one alert for the window', async () => {
    await run('WF94_Test_Slow_Voice_Turn', { think_ms: 0 }, { arrivedMsAgo: SLOW_MS });
    await run('WF94_Test_Slow_Voice_Turn', { think_ms: 0 }, { arrivedMsAgo: SLOW_MS });
    await run('WF94_Test_Slow_Voice_Turn', { think_ms: 0 }, { arrivedMsAgo: SLOW_MS });
    const alerts = await latencyAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ workflow_name: 'WF94_Test_Slow_Voice_Turn', details: { threshold: 3, window_ms: 60_000 } });
    expect(Number(alerts[0]!.details.breaches)).toBeGreaterThanOrEqual(3);
  });

  it('breaches after the alert, within its window, raise no second one and are still recorded', async () => {
    const before = await latencyAlerts();
    expect(before).toHaveLength(1);
    const late = [];
    for (let i = 0; i < 3; i++) late.push(await run('WF94_Test_Slow_Voice_Turn', { think_ms: 0 }, { arrivedMsAgo: SLOW_MS }));
    for (const { row } of late) expect(row.latency_breach).toBe(true);
    expect(await latencyAlerts()).toEqual(before);
  });

  it('a failed voice turn records its breach and hands the call to WF71, as does a fast failure', async () => {
    const late = await run('WF97_Test_Failing_Voice_Turn', { call_sid: CALL_SID }, { arrivedMsAgo: SLOW_MS });
    expect(late.row.status).toBe('failed');
    expect(late.row.latency_breach).toBe(true);
    expect(late.row.output!.meta_out.latency_ms).toBeGreaterThanOrEqual(SLOW_MS);
    const lateActions = await outboxOf(late.envelope.meta.workflow_run_id);
    expect(lateActions.map((a) => a.workflow)).toContain('WF71_RealTime_Fallback');
    expect(lateActions.find((a) => a.workflow === 'WF71_RealTime_Fallback')?.payload).toMatchObject({ call_sid: CALL_SID, reason: 'failed:invalid_input' });

    const fast = await run('WF97_Test_Failing_Voice_Turn', { call_sid: `CA${'cd'.repeat(16)}` });
    expect(fast.row.status).toBe('failed');
    expect(fast.row.latency_breach).toBe(false);
    const fastActions = await outboxOf(fast.envelope.meta.workflow_run_id);
    expect(fastActions.find((a) => a.workflow === 'WF71_RealTime_Fallback')?.payload).toMatchObject({ call_sid: `CA${'cd'.repeat(16)}` });
  });

  it('a retry attempt records its breach and retry_count 1; the attempt that ends the run gives the fallback', async () => {
    const envelope = h.envelope({ workflow: 'WF97_Test_Failing_Voice_Turn', payload: { call_sid: CALL_SID, retry_first: true } });
    envelope.meta.accepted_at_utc = new Date(Date.now() - SLOW_MS).toISOString();
    await h.enqueue(envelope);
    const final = await h.waitForRun(envelope.meta.workflow_run_id, undefined, 20_000);
    expect(final.status).toBe('ok');
    expect(final.retry_count).toBe(1);
    expect(final.latency_breach).toBe(true);
    const [retried] = await h.db.sql<{ payload: { failure_code: string } }[]>`
      select payload from events where workflow_run_id = ${envelope.meta.workflow_run_id} and event_type = 'run.retry_scheduled'`;
    expect(retried?.payload.failure_code).toBe('vendor_unavailable');
    const actions = await outboxOf(envelope.meta.workflow_run_id);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ workflow: 'WF71_RealTime_Fallback', payload: { call_sid: CALL_SID, reason: 'latency_breach' } });
  });

  it('a timed-out voice turn ends failed with its breach and the fallback', async () => {
    const { envelope, row } = await run('WF98_Test_Hanging_Voice_Turn', { call_sid: CALL_SID });
    expect(row.status).toBe('failed');
    expect(row.failure_code).toBe('attempts_exhausted');
    expect(row.latency_breach).toBe(true);
    const fallback = (await outboxOf(envelope.meta.workflow_run_id)).find((a) => a.workflow === 'WF71_RealTime_Fallback');
    expect(fallback?.payload).toMatchObject({ call_sid: CALL_SID, reason: 'failed:attempts_exhausted' });
  });

  it('a non-real-time channel over budget records the breach without a fallback', async () => {
    const { envelope, row } = await run('WF96_Test_Slow_Sms_Reply', {});
    expect(row.latency_breach).toBe(true);
    expect(await outboxOf(envelope.meta.workflow_run_id)).toEqual([]);
  });

  it('batch work has no budget and never breaches', async () => {
    const { row } = await run('WF95_Test_Slow_Batch', {}, { arrivedMsAgo: 60_000 });
    expect(row.latency_breach).toBe(false);
    expect(row.output!.meta_out.latency_ms).toBeGreaterThanOrEqual(60_000);
  });

  it('stored only outputs that pass the contract schema', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
