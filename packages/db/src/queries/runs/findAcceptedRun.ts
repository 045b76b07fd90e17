import type { Queryable } from '../../client.js';
import type { UnsettledRun } from './listUnsettledRuns.js';

export interface AcceptedRun extends UnsettledRun {
  tenantId: string;
  /** The run row's status (`queued` until an attempt records an outcome). */
  status: string;
}

/** An accepted run by its run id, with what is needed to enqueue it again (the reconciler's view of one run). */
export async function findAcceptedRun(sql: Queryable, workflowRunId: string): Promise<AcceptedRun | null> {
  const [r] = await sql<
    { idempotency_key: string; workflow_run_id: string; tenant_id: string; job_id: string; lane: string; priority: UnsettledRun['priority']; run_after: string | null; envelope: unknown; sealed_envelope: string | null; trace_context: string | null; status: string }[]
  >`
    select a.idempotency_key, a.workflow_run_id, a.tenant_id, a.job_id, a.lane, a.priority, a.run_after::text as run_after,
           run_envelope(r) as envelope, a.sealed_envelope, a.trace_context, r.status
      from accepted_runs a join workflow_runs r on r.workflow_run_id = a.workflow_run_id
     where a.workflow_run_id = ${workflowRunId}`;
  if (!r) return null;
  return {
    idempotencyKey: r.idempotency_key,
    workflowRunId: r.workflow_run_id,
    tenantId: r.tenant_id,
    jobId: r.job_id,
    lane: r.lane,
    priority: r.priority,
    runAfter: r.run_after ? new Date(r.run_after) : null,
    envelope: r.envelope,
    sealedEnvelope: r.sealed_envelope,
    traceContext: r.trace_context,
    status: r.status,
  };
}
