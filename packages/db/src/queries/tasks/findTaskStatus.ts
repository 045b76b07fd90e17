import type { TaskStatus } from '@revos/envelope';
import type { Sql } from '../../client.js';

/** The status of an escalation task, or null when the tenant has no such task. */
export async function findTaskStatus(sql: Sql, tenantId: string, taskId: string): Promise<TaskStatus | null> {
  const [row] = await sql<{ status: TaskStatus }[]>`
    select status from tasks where tenant_id = ${tenantId} and task_id = ${taskId}`;
  return row?.status ?? null;
}
