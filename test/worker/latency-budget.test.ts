import { defineWorkflow } from '@revos/runtime';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidStoredOutputs, sleep, startHarness, type Harness } from '../support/harness.js';

/** A voice turn whose "thinking" takes `think_ms`, against a 50 ms budget. */
const slowTurn = defineWorkflow({
  name: 'WF94_Test_Slow_Voice_Turn',
  version: '1.0.0',
  lane: 'realtime',
  channel: 'voice',
  latencyBudgetMs: 50,
  payload: z.object({ think_ms: z.number().int().min(0) }),
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
  latencyBudgetMs: 30,
  payload: z.object({}),
  async run() {
    await sleep(80);
    return { summary: 'reply composed' };
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [slowTurn, slowBatch, slowSms], breachAlert: { count: 3, windowMs: 60_000 } });
});
afterAll(async () => {
  await h?.close();
});

async function run(workflow: string, payload: Record<string, unknown>) {
  const envelope = h.envelope({ workflow, payload });
  await h.enqueue(envelope);
  return { envelope, row: await h.waitForRun(envelope.meta.workflow_run_id) };
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
    const { envelope, row } = await run('WF94_Test_Slow_Voice_Turn', { think_ms: 120 });
    expect(row.status).toBe('ok');
    expect(row.latency_breach).toBe(true);
    expect(row.output?.meta_out.latency_breach).toBe(true);
    expect(row.output!.meta_out.latency_ms).toBeGreaterThan(50);
    const actions = await outboxOf(envelope.meta.workflow_run_id);
    expect(actions).toHaveLength(1);
    expect(actions[0]).toMatchObject({ workflow: 'WF71_RealTime_Fallback', priority: 'high', payload: { source_run_id: envelope.meta.workflow_run_id, budget_ms: 50 } });
    expect(await latencyAlerts()).toEqual([]); // one breach is not yet "repeated"
  });

  it('repeated breaches write one alert for the window', async () => {
    await run('WF94_Test_Slow_Voice_Turn', { think_ms: 90 });
    await run('WF94_Test_Slow_Voice_Turn', { think_ms: 90 });
    await run('WF94_Test_Slow_Voice_Turn', { think_ms: 90 });
    const alerts = await latencyAlerts();
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({ workflow_name: 'WF94_Test_Slow_Voice_Turn', details: { threshold: 3, window_ms: 60_000 } });
    expect(Number(alerts[0]!.details.breaches)).toBeGreaterThanOrEqual(3);
  });

  it('a non-real-time channel over budget records the breach without a fallback', async () => {
    const { envelope, row } = await run('WF96_Test_Slow_Sms_Reply', {});
    expect(row.latency_breach).toBe(true);
    expect(await outboxOf(envelope.meta.workflow_run_id)).toEqual([]);
  });

  it('batch work has no budget and never breaches', async () => {
    const { row } = await run('WF95_Test_Slow_Batch', {});
    expect(row.latency_breach).toBe(false);
    expect(row.output!.meta_out.latency_ms).toBeGreaterThanOrEqual(100);
  });

  it('stored only outputs that pass the contract schema', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
