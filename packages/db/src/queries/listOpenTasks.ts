import type { Sql } from '../client.js';
import type { OpenTaskRow } from '../rows.js';

/** Escalation tasks not done yet (open or claimed), oldest first (the queue staff work through), across tenants unless one is named. */
export async function listOpenTasks(sql: Sql, f: { tenantId?: string; limit: number }): Promise<OpenTaskRow[]> {
  return sql<OpenTaskRow[]>`
    select t.task_id, t.tenant_id, t.workflow_run_id, t.root_run_id, r.workflow_name, t.kind, t.status, t.claimed_by, t.failure_code, t.reason,
           t.created_at::text
      from tasks t left join workflow_runs r on r.workflow_run_id = t.workflow_run_id
     where t.status in ('open', 'claimed') and (${f.tenantId ?? null}::text is null or t.tenant_id = ${f.tenantId ?? null})
     order by t.created_at, t.task_id
     limit ${f.limit}`;
}
