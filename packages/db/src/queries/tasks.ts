import type { Sql } from '../client.js';

/** The status of an escalation task, or null when the tenant has no such task. */
export async function findTaskStatus(sql: Sql, tenantId: string, taskId: string): Promise<'open' | 'done' | null> {
  const [row] = await sql<{ status: 'open' | 'done' }[]>`
    select status from tasks where tenant_id = ${tenantId} and task_id = ${taskId}`;
  return row?.status ?? null;
}
