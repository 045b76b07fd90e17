import type { Queryable } from '../../client.js';

/**
 * The statuses already recorded for one message or call (`sid`) under the run that sent it, oldest
 * first: the finished runs of `workflowName` (the delivery status workflow) whose parent is that run,
 * each output naming the status it recorded. What the delivery state is derived from. Uses the
 * parent index; `excludeRunId` leaves out the asking run itself.
 */
export async function listDeliveryStatuses(
  sql: Queryable,
  q: { tenantId: string; parentRunId: string; workflowName: string; sid: string; excludeRunId: string },
): Promise<string[]> {
  const rows = await sql<{ status: string }[]>`
    select output->'result'->'primary_outputs'->>'status' as status
      from workflow_runs
     where parent_run_id = ${q.parentRunId} and tenant_id = ${q.tenantId} and workflow_name = ${q.workflowName}
       and status = 'ok' and workflow_run_id <> ${q.excludeRunId}
       and output->'result'->'primary_outputs'->>'sid' = ${q.sid}
     order by ended_at, workflow_run_id`;
  return rows.map((r) => r.status).filter((s): s is string => typeof s === 'string');
}
