/**
 * Staff's answer to "did this text/call/booking happen?" for an effect the vendor could not settle:
 * the durable settlement (`settleUnknownEffect`, one transaction) and, for `not_sent`, the run going
 * again at once with exactly one new call (`rerunSettledRun`). Shared by the CLI and, later, the
 * task-resolve API, so both answer the same way.
 */
import { findRunByAnyId, settleUnknownEffect, type SettleUnknownEffectResult } from '@revos/db';
import { rerunSettledRun, type IntakeDeps, type RerunOutcome } from '@revos/runtime';

export interface SettleEffectRequest {
  /** Any id that leads to the run (run id, idempotency key, task id, ...). */
  runId: string;
  effectName: string;
  outcome: 'sent' | 'not_sent';
  actor: string;
  note?: string;
}

export type SettleEffectOutcome =
  | { ok: true; settlement: Extract<SettleUnknownEffectResult, { settled: true }>; rerun: RerunOutcome | null }
  | { ok: false; error: 'run_not_found' | 'effect_not_found' | 'not_unknown' | 'run_in_progress'; message: string };

export async function settleEffect(deps: IntakeDeps, request: SettleEffectRequest): Promise<SettleEffectOutcome> {
  const located = await findRunByAnyId(deps.db.sql, request.runId);
  if (!located) return { ok: false, error: 'run_not_found', message: `run ${request.runId} not found` };
  const [key] = await deps.db.sql<{ idempotency_key: string }[]>`
    select idempotency_key from workflow_runs where workflow_run_id = ${located.workflow_run_id}`;
  if (!key) return { ok: false, error: 'run_not_found', message: `run ${request.runId} not found` };
  const settled = await settleUnknownEffect(deps.db.sql, {
    tenantId: located.tenant_id,
    idempotencyKey: key.idempotency_key,
    effectName: request.effectName,
    outcome: request.outcome,
    actor: request.actor,
    note: request.note ?? null,
  });
  if (!settled.settled) {
    const run = located.workflow_run_id;
    switch (settled.reason) {
      case 'not_found':
        return { ok: false, error: 'effect_not_found', message: `run ${run} has no effect ${request.effectName}` };
      case 'not_unknown':
        return { ok: false, error: 'not_unknown', message: `effect ${request.effectName} of run ${run} is ${settled.state}, not waiting for an answer` };
      case 'run_in_progress':
        return { ok: false, error: 'run_in_progress', message: `run ${run} is being worked on right now; try again when it has ended` };
    }
  }
  const rerun = settled.runReopened ? await rerunSettledRun(deps, settled.workflowRunId) : null;
  return { ok: true, settlement: settled, rerun };
}
