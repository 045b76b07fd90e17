import type { TaskStatus } from '@revos/envelope';
import type { Queryable } from '../../client.js';
import type { ListedTask } from './task-rows.js';

/**
 * One tenant's tasks (GET /v1/tasks, the operator page), oldest first, of the given statuses
 * (default: everything not done, the queue staff work through).
 */
export async function listTasks(
  sql: Queryable,
  q: { tenantId?: string; statuses?: TaskStatus[]; limit: number },
): Promise<ListedTask[]> {
  const statuses = q.statuses ?? ['open', 'claimed'];
  return sql<ListedTask[]>`
    select t.task_id, t.tenant_id, t.workflow_run_id, t.root_run_id, t.idempotency_key, t.kind, t.failure_code, t.reason,
           t.status, t.claimed_by, t.claimed_by_label, t.claimed_at::text, t.resolution, t.resolution_note, t.resolved_by, t.resolved_by_label,
           t.created_at::text, t.closed_at::text, r.workflow_name,
           floor(extract(epoch from now() - t.created_at))::int as age_s
      from tasks t left join workflow_runs r on r.workflow_run_id = t.workflow_run_id
     where (${q.tenantId ?? null}::text is null or t.tenant_id = ${q.tenantId ?? null})
       and t.status = any(${statuses}::text[])
     order by t.created_at, t.task_id
     limit ${q.limit}`;
}
