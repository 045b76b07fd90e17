import type { Sql } from '../../client.js';

/** When the newest alert of this kind for this tenant and workflow was written, if any. */
export async function latestAlertAt(sql: Sql, kind: string, tenantId: string | null, workflowName: string | null): Promise<Date | null> {
  const [row] = await sql<{ at: Date | null }[]>`
    select max(created_at) as at from alerts
     where kind = ${kind} and tenant_id is not distinct from ${tenantId}
       and workflow_name is not distinct from ${workflowName}`;
  return row?.at ?? null;
}
