import { toJobId } from '@revos/envelope';
import { defineWorkflow, dispatchPending } from '@revos/runtime';
import { z } from 'zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { invalidStoredOutputs, sleep, startHarness, type Harness } from '../support/harness.js';

const DELAY_MS = 1_500;

const root = defineWorkflow({
  name: 'WF80_Test_Chain_Root',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({ label: z.string() }),
  async run(ctx) {
    return {
      summary: 'root',
      next_actions: [
        { workflow: 'WF81_Test_Chain_Middle', payload: { from: ctx.payload.label, n: 1 }, priority: 'high' },
        { workflow: 'WF81_Test_Chain_Middle', payload: { from: ctx.payload.label, n: 2 }, priority: 'low', run_after_utc: new Date(Date.now() + DELAY_MS).toISOString() },
      ],
    };
  },
});
const middle = defineWorkflow({
  name: 'WF81_Test_Chain_Middle',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({ from: z.string(), n: z.number() }),
  async run(ctx) {
    return { summary: 'middle', next_actions: [{ workflow: 'WF82_Test_Chain_Leaf', payload: { n: ctx.payload.n } }] };
  },
});
const leaf = defineWorkflow({
  name: 'WF82_Test_Chain_Leaf',
  version: '1.0.0',
  lane: 'batch',
  payload: z.object({ n: z.number() }),
  async run() {
    return { summary: 'leaf' };
  },
});
const strayAction = defineWorkflow({
  name: 'WF83_Test_Stray_Action',
  version: '1.0.0',
  lane: 'interactive',
  payload: z.object({}),
  async run() {
    return { summary: 'asks for a workflow nobody registered', next_actions: [{ workflow: 'WF89_Not_Registered', payload: {} }, { workflow: 'WF82_Test_Chain_Leaf', payload: { n: 9 } }] };
  },
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ extraWorkflows: [root, middle, leaf, strayAction], immediateDispatch: true });
});
afterAll(async () => {
  await h?.close();
});

interface TreeRow {
  workflow_run_id: string;
  parent_run_id: string | null;
  root_run_id: string;
  correlation_id: string;
  workflow_name: string;
  status: string;
  trigger_source: string;
  started_at: Date | null;
  job_id: string;
  lane: string;
}

async function treeOf(rootRunId: string, expected: number): Promise<TreeRow[]> {
  for (let i = 0; i < 400; i++) {
    const rows = await h.db.sql<TreeRow[]>`
      select workflow_run_id, parent_run_id, root_run_id, correlation_id, workflow_name, status, trigger_source, started_at, job_id, lane
        from workflow_runs where root_run_id = ${rootRunId} order by accepted_at`;
    if (rows.length === expected && rows.every((r) => r.status === 'ok')) return rows;
    await sleep(25);
  }
  throw new Error(`tree of ${rootRunId} did not complete`);
}

describe('next_actions dispatch', () => {
  it('runs a three-level chain with lineage, priorities and delays', async () => {
    const envelope = h.envelope({ workflow: 'WF80_Test_Chain_Root', payload: { label: 'chain' } });
    const rootEnqueuedAt = Date.now();
    await h.enqueue(envelope);
    const rows = await treeOf(envelope.meta.workflow_run_id, 5);

    const rootRow = rows.find((r) => r.workflow_name === 'WF80_Test_Chain_Root')!;
    const middles = rows.filter((r) => r.workflow_name === 'WF81_Test_Chain_Middle');
    const leaves = rows.filter((r) => r.workflow_name === 'WF82_Test_Chain_Leaf');
    expect(middles).toHaveLength(2);
    expect(leaves).toHaveLength(2);
    for (const r of rows) {
      expect(r.root_run_id).toBe(envelope.meta.workflow_run_id);
      expect(r.correlation_id).toBe(envelope.meta.correlation_id);
    }
    for (const m of middles) {
      expect(m.parent_run_id).toBe(rootRow.workflow_run_id);
      expect(m.trigger_source).toBe('workflow');
    }
    expect(new Set(leaves.map((l) => l.parent_run_id))).toEqual(new Set(middles.map((m) => m.workflow_run_id)));

    // Priorities map onto BullMQ's, and run_after_utc onto a delay the run respects.
    const outbox = await h.db.sql<{ child_run_id: string; priority: string; run_after: Date | null }[]>`
      select child_run_id, priority, run_after from outbox where parent_run_id = ${rootRow.workflow_run_id} order by action_index`;
    const [high, low] = outbox;
    expect(high?.priority).toBe('high');
    expect(low?.priority).toBe('low');
    const jobOf = async (runId: string) => {
      const row = rows.find((r) => r.workflow_run_id === runId)!;
      return h.queues.interactive.getJob(row.job_id);
    };
    // Fair share (on by default) gives each a round of its tenant's lane; the high child is not behind the low one.
    const highPriority = (await jobOf(high!.child_run_id))?.opts.priority;
    const lowPriority = (await jobOf(low!.child_run_id))?.opts.priority;
    expect(highPriority).toBeGreaterThanOrEqual(1);
    expect(highPriority).toBeLessThanOrEqual(lowPriority!);
    const delayed = rows.find((r) => r.workflow_run_id === low!.child_run_id)!;
    expect(delayed.started_at!.getTime()).toBeGreaterThanOrEqual(low!.run_after!.getTime());
    expect(delayed.started_at!.getTime() - rootEnqueuedAt).toBeGreaterThanOrEqual(DELAY_MS - 50);
  });

  it('records an action for an unknown workflow as rejected, and still dispatches its siblings', async () => {
    const envelope = h.envelope({ workflow: 'WF83_Test_Stray_Action', payload: {} });
    await h.enqueue(envelope);
    await treeOf(envelope.meta.workflow_run_id, 2);
    const outbox = await h.db.sql<{ workflow: string; state: string; last_error: string | null }[]>`
      select workflow, state, last_error from outbox where parent_run_id = ${envelope.meta.workflow_run_id} order by action_index`;
    expect(outbox[0]).toMatchObject({ workflow: 'WF89_Not_Registered', state: 'rejected' });
    expect(outbox[0]!.last_error).toMatch(/^unknown_workflow/);
    expect(outbox[1]).toMatchObject({ workflow: 'WF82_Test_Chain_Leaf', state: 'dispatched' });
  });

  it('a second dispatch of the same action (crash before the outbox update) is absorbed: one child run', async () => {
    const envelope = h.envelope({ workflow: 'WF80_Test_Chain_Root', payload: { label: 'redispatch' } });
    await h.enqueue(envelope);
    await treeOf(envelope.meta.workflow_run_id, 5);
    const [before] = await h.db.sql<{ child_run_id: string }[]>`
      select child_run_id from outbox where parent_run_id = ${envelope.meta.workflow_run_id} and action_index = 0`;
    // Simulate the crash window: the child was enqueued but the outbox still says pending.
    await h.db.sql`update outbox set state = 'pending', child_run_id = null where parent_run_id = ${envelope.meta.workflow_run_id}`;
    await Promise.all([dispatchPending({ ...h, log: h.deps.log }), dispatchPending({ ...h, log: h.deps.log })]);
    const [after] = await h.db.sql<{ child_run_id: string; state: string }[]>`
      select child_run_id, state from outbox where parent_run_id = ${envelope.meta.workflow_run_id} and action_index = 0`;
    expect(after).toEqual({ child_run_id: before!.child_run_id, state: 'dispatched' });
    await sleep(300);
    const children = await h.db.sql`select 1 from workflow_runs where parent_run_id = ${envelope.meta.workflow_run_id}`;
    expect(children).toHaveLength(2);
  });

  it('a sweep enqueues follow-ups a worker could not dispatch (crash after the outbox commit)', async () => {
    const quiet = await startHarness({ extraWorkflows: [root, middle, leaf], immediateDispatch: false });
    try {
      const envelope = quiet.envelope({ workflow: 'WF80_Test_Chain_Root', payload: { label: 'sweep' } });
      await quiet.enqueue(envelope);
      await quiet.waitForRun(envelope.meta.workflow_run_id);
      await sleep(200);
      const pending = await quiet.db.sql`select 1 from outbox where state = 'pending'`;
      expect(pending).toHaveLength(2);
      const first = await dispatchPending({ ...quiet, log: quiet.deps.log });
      expect(first.map((r) => r.state)).toEqual(['dispatched', 'dispatched']);
      // Middles finish and leave their own actions pending; sweep again until the tree is done.
      for (let i = 0; i < 100; i++) {
        await dispatchPending({ ...quiet, log: quiet.deps.log });
        const done = await quiet.db.sql`select 1 from workflow_runs where root_run_id = ${envelope.meta.workflow_run_id} and status = 'ok'`;
        if (done.length === 5) break;
        await sleep(50);
      }
      const runs = await quiet.db.sql`select status from workflow_runs where root_run_id = ${envelope.meta.workflow_run_id}`;
      expect(runs.map((r) => r.status)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);
      const job = await quiet.queues.interactive.getJob(toJobId(envelope.meta.idempotency_key));
      expect(job?.returnvalue).toMatchObject({ status: 'ok' });
    } finally {
      await quiet.close();
    }
  });

  it('stored only outputs that pass the contract schema', async () => {
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });
});
