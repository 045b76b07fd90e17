import { defineWorkflow, runAttempt, type AttemptOutcome } from '@revos/runtime';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

/**
 * A worker that pauses past its lock (a GC pause, a frozen VM) while another
 * worker takes the key over must not complete, fail or write events for the run
 * it lost: every write is conditioned on the fence it claimed with.
 */
const gates = new Map<string, { reached: () => void; release: Promise<void> }>();

const pausable = defineWorkflow({
  name: 'WF88_Test_Pausable',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({ gate: z.string(), effect_before_pause: z.boolean() }),
  async run(ctx) {
    const gate = gates.get(`${ctx.payload.gate}:${ctx.retryCount}`);
    if (ctx.payload.effect_before_pause) {
      await ctx.effect('first', { service: 'standin', endpoint: 'first', eventType: 'test.first', vendorDedupes: true }, async () => ({ at: 'before' }));
    }
    if (gate) {
      gate.reached();
      await gate.release;
    }
    await ctx.effect('second', { service: 'standin', endpoint: 'second', eventType: 'test.second', vendorDedupes: true }, async () => ({ by: gate ? 'stale' : 'fresh' }));
    return { summary: gate ? 'stale finished' : 'fresh finished' };
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ noWorkers: true, extraWorkflows: [pausable] });
});
afterAll(async () => {
  await h?.close();
});

function gate(name: string) {
  let reached!: () => void;
  let release!: () => void;
  const reachedP = new Promise<void>((r) => (reached = r));
  const releaseP = new Promise<void>((r) => (release = r));
  gates.set(`${name}:0`, { reached, release: releaseP });
  return { reachedP, release };
}

describe('stale worker fencing', () => {
  it.each([
    { name: 'paused before any effect', effectBeforePause: false },
    { name: 'paused after its first effect', effectBeforePause: true },
  ])('a worker $name cannot complete, fail or write events once another took over', async ({ effectBeforePause }) => {
    const g = gate(`g-${effectBeforePause}`);
    const envelope = h.envelope({ workflow: 'WF88_Test_Pausable', payload: { gate: `g-${effectBeforePause}`, effect_before_pause: effectBeforePause } });
    await h.accept(envelope, 'interactive'); // as intake does: only accepted runs claim
    const attempt = (attemptsMade: number) => runAttempt(h.deps, envelope, { jobId: 'j', lane: 'interactive', attemptsMade, maxAttempts: 5 });

    const stale: Promise<AttemptOutcome> = attempt(0);
    await g.reachedP;
    // The stale worker's lock lapses (it was paused past it); a second delivery takes the key over.
    await h.db.sql`update idempotency_keys set lock_expires_at = now() - interval '1 second' where idempotency_key = ${envelope.meta.idempotency_key}`;
    const fresh = await attempt(1);
    expect(fresh.kind).toBe('done');

    g.release();
    const staleOutcome = await stale;
    expect(staleOutcome.kind).toBe('lost');

    const [run] = await h.db.sql<{ status: string; output: { result: { summary: string }; meta_out: { retry_count: number } } }[]>`
      select status, run_output(workflow_runs) as output from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(run?.status).toBe('ok');
    expect(run?.output.result.summary).toBe('fresh finished');
    expect(run?.output.meta_out.retry_count).toBe(1);
    const events = await h.db.sql<{ effect_name: string }[]>`
      select effect_name from events where idempotency_key = ${envelope.meta.idempotency_key} order by effect_name`;
    expect(events.map((e) => e.effect_name)).toEqual(effectBeforePause ? ['first', 'second'] : ['second']);
    const [second] = await h.db.sql<{ result: { by: string } }[]>`
      select result from effects where idempotency_key = ${envelope.meta.idempotency_key} and effect_name = 'second'`;
    expect(second?.result.by).toBe('fresh');
    const [ledger] = await h.db.sql<{ state: string; fence: string }[]>`
      select state, fence from idempotency_keys where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(ledger).toEqual({ state: 'completed', fence: '2' });
  });
});
