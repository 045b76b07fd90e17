import { WorkflowError } from '@revos/envelope';
import { createRunReplies, defineWorkflow, type RunReplies } from '@revos/runtime';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sleep, startHarness, type Harness } from '../support/harness.js';

/** A turn that thinks for `think_ms`; with `fail_first`, its first attempt fails retryably. */
const turn = defineWorkflow({
  name: 'WF93_Test_Reply_Turn',
  version: '1.0.0',
  lane: 'realtime',
  channel: 'voice',
  backoff: { baseMs: 50, maxMs: 100 },
  payload: z.object({ think_ms: z.number().int().min(0), fail_first: z.boolean().optional(), n: z.number().optional() }),
  async run(ctx) {
    if (ctx.payload.fail_first && ctx.retryCount === 0) throw new WorkflowError('vendor_unavailable', 'first attempt fails');
    await sleep(ctx.payload.think_ms);
    return { summary: 'answered', primary_outputs: { said: `reply ${ctx.payload.n ?? 0}` } };
  },
});

let h: Harness;
let replies: RunReplies;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [turn], lanes: ['realtime'], concurrency: 16 });
  replies = createRunReplies(h.redis, h.prefix);
});
afterAll(async () => {
  await replies?.close();
  await h?.close();
});

function submit(payload: Record<string, unknown>) {
  const envelope = h.envelope({ workflow: 'WF93_Test_Reply_Turn', payload });
  return { envelope, runId: envelope.meta.workflow_run_id, enqueue: () => h.enqueue(envelope) };
}

describe('request–reply: awaitRunOutput', () => {
  it('resolves with the run\'s recorded output', async () => {
    const run = submit({ think_ms: 0, n: 1 });
    const waiting = replies.awaitRunOutput(run.runId, { deadline: Date.now() + 15_000 });
    await run.enqueue();
    const output = await waiting;
    expect(output?.result.status).toBe('ok');
    expect(output?.meta_out.workflow_run_id).toBe(run.runId);
    expect(output?.result.primary_outputs).toEqual({ said: 'reply 1' });
    // The reply is the recorded outcome: the run row is final when the caller hears it.
    const [row] = await h.db.sql<{ status: string }[]>`select status from workflow_runs where workflow_run_id = ${run.runId}`;
    expect(row?.status).toBe('ok');
  });

  it('finds an output recorded before the caller started waiting', async () => {
    const run = submit({ think_ms: 0, n: 2 });
    await run.enqueue();
    await h.waitForRun(run.runId);
    const output = await replies.awaitRunOutput(run.runId, { deadline: Date.now() + 15_000 });
    expect(output?.result.primary_outputs).toEqual({ said: 'reply 2' });
  });

  it('stops waiting at the deadline while the run goes on and records its outcome', async () => {
    const run = submit({ think_ms: 1_500, n: 3 });
    await run.enqueue();
    const output = await replies.awaitRunOutput(run.runId, { deadline: Date.now() + 300 });
    expect(output).toBeNull();
    const [early] = await h.db.sql<{ status: string }[]>`select status from workflow_runs where workflow_run_id = ${run.runId}`;
    expect(early?.status ?? 'queued').not.toBe('ok');
    const row = await h.waitForRun(run.runId);
    expect(row.status).toBe('ok');
  });

  it('does not answer with a retry: the caller gets the attempt that ends the run', async () => {
    const run = submit({ think_ms: 0, fail_first: true, n: 4 });
    const waiting = replies.awaitRunOutput(run.runId, { deadline: Date.now() + 15_000 });
    await run.enqueue();
    const output = await waiting;
    expect(output?.result.status).toBe('ok');
    expect(output?.meta_out.retry_count).toBe(1);
  });

  it('serves 50 concurrent waits on one subscriber connection', async () => {
    const runs = Array.from({ length: 50 }, (_, i) => submit({ think_ms: 0, n: 100 + i }));
    const waits = runs.map((r) => replies.awaitRunOutput(r.runId, { deadline: Date.now() + 30_000 }));
    await Promise.all(runs.map((r) => r.enqueue()));
    const outputs = await Promise.all(waits);
    expect(outputs.map((o) => o?.result.primary_outputs.said)).toEqual(runs.map((_, i) => `reply ${100 + i}`));
  });

  it('ends a wait early on its signal, at once for a past deadline, and on close', async () => {
    const controller = new AbortController();
    const aborted = replies.awaitRunOutput('wr_01NEVERFINISHES000000000A', { deadline: Date.now() + 60_000, signal: controller.signal });
    controller.abort();
    expect(await aborted).toBeNull();
    expect(await replies.awaitRunOutput('wr_01NEVERFINISHES000000000B', { deadline: new Date(Date.now() - 1) })).toBeNull();

    const other = createRunReplies(h.redis, h.prefix);
    const pending = other.awaitRunOutput('wr_01NEVERFINISHES000000000C', { deadline: Date.now() + 60_000 });
    await other.close();
    expect(await pending).toBeNull();
  });
});
