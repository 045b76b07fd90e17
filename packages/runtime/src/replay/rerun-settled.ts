/**
 * The runtime's half of a staff settlement (`settleUnknownEffect` in @revos/db is the durable half):
 * once an unknown effect is settled `not_sent`, the run goes again at once — its failed job retried
 * with fresh attempts, or re-enqueued — and its journal lets exactly one new call through. If this
 * step never runs (Redis down, the caller crashed), the reconciler does the same on its next sweep,
 * because the settlement set the accepted run back to unsettled.
 */
import { findAcceptedRun } from '@revos/db';
import type { IntakeDeps } from '../intake/intake.js';
import { isLane } from '../definition/lanes.js';
import { ensureRunQueued, type QueueRepair } from '../queue/ensure-queued.js';

export type RerunOutcome =
  | { ok: true; workflowRunId: string; repair: QueueRepair }
  | { ok: false; workflowRunId: string; reason: 'not_found' | 'not_reopened'; message: string };

export async function rerunSettledRun(deps: IntakeDeps, workflowRunId: string): Promise<RerunOutcome> {
  const run = await findAcceptedRun(deps.db.sql, workflowRunId);
  if (!run || !isLane(run.lane)) return { ok: false, workflowRunId, reason: 'not_found', message: `run ${workflowRunId} was not accepted through intake` };
  if (run.status !== 'queued') {
    return { ok: false, workflowRunId, reason: 'not_reopened', message: `run ${workflowRunId} is ${run.status}, not reopened by a not_sent settlement` };
  }
  return { ok: true, workflowRunId, repair: await ensureRunQueued(deps, run, { resetAttempts: true, requeueReason: 'settlement' }) };
}
