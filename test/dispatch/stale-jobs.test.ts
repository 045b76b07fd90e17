/**
 * Nothing accepted is left behind: a Redis that still holds finished jobs for the same keys (a database
 * restored from backup, or runs removed while Redis kept their completed jobs) must not swallow a newly
 * accepted run. Intake and the reconciler both see the stale job and run the accepted run, replacing it.
 */
import { acceptRun } from '@revos/db';
import { reconcileOnce, submitRun } from '@revos/runtime';
import { envelopeHash, toJobId, type Envelope } from '@revos/envelope';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/harness.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ lanes: ['batch'] });
});
afterAll(async () => {
  await h?.close();
});

let n = 0;
const logEvent = () => h.envelope({ workflow: 'WF11_Log_Event', triggerId: `stale-${++n}`, payload: { event_type: 'staff.note_added', direction: 'internal', attributes: { n } } });

/** The same trigger accepted again under a new run id, as it is after the database forgot the first. */
function again(envelope: Envelope): Envelope {
  const runId = `wr_AGAIN${envelope.meta.workflow_run_id.slice(8)}`;
  return { ...envelope, meta: { ...envelope.meta, workflow_run_id: runId, root_run_id: runId } };
}

/** A restore from a backup taken before the run: PostgreSQL forgets it, Redis keeps its completed job. */
async function forget(key: string): Promise<void> {
  await h.db.sql.begin(async (tx) => {
    await tx`delete from events where workflow_run_id in (select workflow_run_id from workflow_runs where idempotency_key = ${key})`;
    await tx`delete from effects where idempotency_key = ${key}`;
    await tx`delete from workflow_runs where idempotency_key = ${key}`;
    await tx`delete from accepted_runs where idempotency_key = ${key}`;
    await tx`delete from idempotency_keys where idempotency_key = ${key}`;
  });
}

async function completedOnce(envelope: Envelope): Promise<void> {
  await submitRun(h, envelope, { source: 'api' });
  expect((await h.waitForRun(envelope.meta.workflow_run_id)).status).toBe('ok');
  await expect.poll(async () => (await h.queues.batch.getJob(toJobId(envelope.meta.idempotency_key)))?.finishedOn ?? 0).toBeGreaterThan(0);
}

describe('stale finished jobs', () => {
  it('at intake: a run accepted over a finished job of the same key runs (the stale job is replaced)', async () => {
    const first = logEvent();
    await completedOnce(first);
    await forget(first.meta.idempotency_key);

    const second = again(first);
    const accepted = await submitRun(h, second, { source: 'api' });
    expect(accepted.status).toBe('queued');
    const run = await h.waitForRun(second.meta.workflow_run_id);
    expect(run.status).toBe('ok');
    const job = await h.queues.batch.getJob(toJobId(second.meta.idempotency_key));
    expect((job?.data as Envelope).meta.workflow_run_id).toBe(second.meta.workflow_run_id);
  });

  it('in the reconciler: an accepted run whose job finished under another run id is run', async () => {
    const first = logEvent();
    await completedOnce(first);
    await forget(first.meta.idempotency_key);
    // The restored database holds an accepted run for the key, never enqueued since.
    const second = again(first);
    const meta = second.meta;
    await acceptRun(h.db.sql, {
      idempotencyKey: meta.idempotency_key, workflowRunId: meta.workflow_run_id, parentRunId: null, rootRunId: meta.root_run_id,
      correlationId: meta.correlation_id, tenantId: meta.tenant_id, workflowName: meta.workflow_name, workflowVersion: meta.workflow_version,
      jobId: toJobId(meta.idempotency_key), lane: 'batch', triggerSource: meta.trigger_source, triggerId: meta.trigger_id,
      privacyMode: meta.privacy_mode, priority: null, runAfter: null, source: 'api', envelope: second, envelopeHash: envelopeHash(second),
    });

    const result = await reconcileOnce({ ...h, log: h.deps.log }, { graceMs: 0 });
    expect(result).toMatchObject({ replaced: 1, reenqueued: 0 });
    expect((await h.waitForRun(meta.workflow_run_id)).status).toBe('ok');
    // Once it ended, the sweep leaves it alone.
    expect(await reconcileOnce({ ...h, log: h.deps.log }, { graceMs: 0 })).toMatchObject({ checked: 0, replaced: 0 });
  });

  it('leaves a live job of the run itself in place', async () => {
    const envelope = logEvent();
    await h.queues.batch.pause();
    try {
      await submitRun(h, envelope, { source: 'api' });
      const result = await reconcileOnce({ ...h, log: h.deps.log }, { graceMs: 0 });
      expect(result).toMatchObject({ checked: 1, reenqueued: 0, replaced: 0, retried: 0 });
    } finally {
      await h.queues.batch.resume();
    }
    expect((await h.waitForRun(envelope.meta.workflow_run_id)).status).toBe('ok');
  });
});
