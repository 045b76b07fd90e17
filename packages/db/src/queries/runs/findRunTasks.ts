import type { Queryable } from '../../client.js';
import type { TaskView } from './run-rows.js';

export async function findRunTasks(sql: Queryable, tenantId: string, runId: string): Promise<TaskView[]> {
  return sql<TaskView[]>`
    select task_id, workflow_run_id, kind, failure_code, reason, status, created_at::text
      from tasks where tenant_id = ${tenantId} and workflow_run_id = ${runId} order by created_at`;
}
