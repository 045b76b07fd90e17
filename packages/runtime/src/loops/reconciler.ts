import { listUnsettledRuns } from '@revos/db';
import type { Logger } from 'pino';
import type { IntakeDeps } from '../intake/intake.js';
import { isLane } from '../definition/lanes.js';
import { ensureRunQueued } from '../queue/ensure-queued.js';

export interface ReconcileResult {
  checked: number;
  reenqueued: number;
  retried: number;
  /** Runs whose job under their id had finished, or belonged to another run id: replaced. */
  replaced: number;
}

/**
 * Heals the gap between PostgreSQL (what we accepted) and Redis (what is queued):
 * Redis restarted without persistence, was flushed, or the enqueue failed after
 * the intake record committed; or Redis still holds a finished job for the key
 * (a database restored from backup) that would swallow the enqueue. Every unsettled
 * accepted run must have a live job of its own (queue/ensure-queued.ts).
 */
export async function reconcileOnce(deps: IntakeDeps & { log: Logger }, options: { graceMs?: number; limit?: number } = {}): Promise<ReconcileResult> {
  const unsettled = await listUnsettledRuns(deps.db.sql, options.graceMs ?? 10_000, options.limit ?? 500);
  const result: ReconcileResult = { checked: unsettled.length, reenqueued: 0, retried: 0, replaced: 0 };
  for (const run of unsettled) {
    if (!isLane(run.lane)) continue;
    try {
      const repair = await ensureRunQueued(deps, run, { requeueReason: 'reconciler' });
      const log = { workflow_run_id: run.workflowRunId, job_id: run.jobId };
      if (repair === 'enqueued') {
        result.reenqueued += 1;
        deps.log.warn(log, 'accepted run had no job in Redis; re-enqueued');
      } else if (repair === 'retried') {
        result.retried += 1;
        deps.log.warn(log, 'accepted run failed in BullMQ without an outcome; retried');
      } else if (repair === 'replaced_stale') {
        result.replaced += 1;
        deps.log.warn(log, "accepted run's job had finished or belonged to another run; replaced");
      }
    } catch (error) {
      // One bad record (say, a workflow since removed from the catalog) must not stall the sweep.
      deps.log.error({ workflow_run_id: run.workflowRunId, err: error }, 'could not reconcile run');
    }
  }
  return result;
}
