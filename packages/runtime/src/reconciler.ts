import { listUnsettledRuns, type UnsettledRun } from '@revos/db';
import { parseEnvelope } from '@revos/envelope';
import type { Logger } from 'pino';
import { enqueueRun } from './enqueue.js';
import type { IntakeDeps } from './intake.js';
import { isLane, type Lane } from './lanes.js';

export interface ReconcileResult {
  checked: number;
  reenqueued: number;
  retried: number;
}

/**
 * Heals the gap between PostgreSQL (what we accepted) and Redis (what is queued):
 * Redis restarted without persistence, was flushed, or the enqueue failed after
 * the intake record committed. Every unsettled accepted run must have a job; a
 * missing one is added again under the same jobId (so a race with a live job is
 * absorbed), and one BullMQ gave up on without our recording an outcome is retried.
 */
export async function reconcileOnce(deps: IntakeDeps & { log: Logger }, options: { graceMs?: number; limit?: number } = {}): Promise<ReconcileResult> {
  const unsettled = await listUnsettledRuns(deps.db.sql, options.graceMs ?? 10_000, options.limit ?? 500);
  const result: ReconcileResult = { checked: unsettled.length, reenqueued: 0, retried: 0 };
  for (const run of unsettled) {
    if (!isLane(run.lane)) continue;
    try {
      await reconcileRun(deps, run, result);
    } catch (error) {
      // One bad record (say, a workflow since removed from the catalog) must not stall the sweep.
      deps.log.error({ workflow_run_id: run.workflowRunId, err: (error as Error).message }, 'could not reconcile run');
    }
  }
  return result;
}

async function reconcileRun(deps: IntakeDeps & { log: Logger }, run: UnsettledRun, result: ReconcileResult): Promise<void> {
  {
    const job = await deps.queues[run.lane as Lane].getJob(run.jobId);
    if (!job) {
      // A phi_minimized run is stored redacted: re-run the sealed original it was accepted with.
      const original = run.sealedEnvelope ? deps.privacy?.sealer.unseal(run.sealedEnvelope) : run.envelope;
      if (original === undefined) throw new Error('sealed envelope but no PHI_SEAL_KEY configured');
      await enqueueRun(deps.queues, deps.catalog, parseEnvelope(original), { priority: run.priority ?? undefined, runAfter: run.runAfter });
      result.reenqueued += 1;
      deps.log.warn({ workflow_run_id: run.workflowRunId, job_id: run.jobId }, 'accepted run had no job in Redis; re-enqueued');
    } else if (await job.isFailed()) {
      await job.retry('failed');
      result.retried += 1;
      deps.log.warn({ workflow_run_id: run.workflowRunId, job_id: run.jobId }, 'accepted run failed in BullMQ without an outcome; retried');
    }
  }
}
