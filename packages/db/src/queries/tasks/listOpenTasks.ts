import type { Sql } from '../../client.js';
import { listTasks } from './listTasks.js';
import type { OpenTaskRow } from './task-rows.js';

/**
 * Escalation tasks not done yet (open or claimed), oldest first (the queue staff work through), across tenants unless one is named:
 * listTasks of those statuses, each row cut to an OpenTaskRow's columns, in its order (the admin API and the CLI print them as they are).
 */
export async function listOpenTasks(sql: Sql, f: { tenantId?: string; limit: number }): Promise<OpenTaskRow[]> {
  const tasks = await listTasks(sql, { tenantId: f.tenantId, statuses: ['open', 'claimed'], limit: f.limit });
  return tasks.map((t) => ({
    task_id: t.task_id,
    tenant_id: t.tenant_id,
    workflow_run_id: t.workflow_run_id,
    root_run_id: t.root_run_id,
    workflow_name: t.workflow_name,
    kind: t.kind,
    status: t.status as OpenTaskRow['status'],
    claimed_by: t.claimed_by,
    claimed_by_label: t.claimed_by_label,
    failure_code: t.failure_code,
    reason: t.reason,
    created_at: t.created_at,
  }));
}
