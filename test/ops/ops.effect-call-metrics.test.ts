import { WorkflowError } from '@revos/envelope';
import { defineWorkflow, runAttempt } from '@revos/runtime';
import { createWorkerMetrics } from '@revos/worker';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

/** Two effects; the second fails on the first attempt, so the retry reuses the first from the journal. */
const twoEffects = defineWorkflow({
  name: 'WF87_Test_Two_Effects',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({}),
  async run(ctx) {
    await ctx.effect('first', { service: 'alpha', endpoint: 'one', eventType: 'test.one' }, async () => ({ ok: 1 }));
    await ctx.effect('second', { service: 'beta', endpoint: 'two', eventType: 'test.two' }, async () => {
      if (ctx.retryCount === 0) throw new WorkflowError('vendor_unavailable', 'beta is down');
      return { ok: 2 };
    });
    return { summary: 'both done' };
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ noWorkers: true, extraWorkflows: [twoEffects] });
});
afterAll(async () => {
  await h?.close();
});

describe('worker effect-call metrics', () => {
  it('count each call once, not again when a retry lists journaled calls in its audit', async () => {
    const metrics = createWorkerMetrics();
    const envelope = h.envelope({ workflow: 'WF87_Test_Two_Effects', payload: {} });
    await h.accept(envelope, 'interactive'); // as intake does: only accepted runs claim
    const first = await runAttempt(h.deps, envelope, { jobId: 'j', lane: 'interactive', attemptsMade: 0, maxAttempts: 3 });
    metrics.onOutcome(first, { lane: 'interactive', durationMs: 1 });
    const second = await runAttempt(h.deps, envelope, { jobId: 'j', lane: 'interactive', attemptsMade: 1, maxAttempts: 3 });
    metrics.onOutcome(second, { lane: 'interactive', durationMs: 1 });
    expect([first.kind, second.kind]).toEqual(['retry', 'done']);
    // The retry's audit lists alpha (reused) and beta: the output tells the truth about the run...
    const audit = second.kind === 'done' ? second.output.audit.external_calls.map((c) => c.service) : [];
    expect(audit).toEqual(['alpha', 'beta']);

    // ...while the counter saw alpha once, beta failing once and succeeding once.
    const values = (await metrics.registry.getSingleMetric('revos_effect_calls_total')!.get()).values;
    const counts = Object.fromEntries(values.map((v) => [`${String(v.labels.service)}:${String(v.labels.outcome)}`, v.value]));
    expect(counts).toEqual({ 'alpha:success': 1, 'beta:failure': 1, 'beta:success': 1 });
  });
});
