import type { Sql } from '../../client.js';

/** Latency breaches of one workflow for one tenant within the last `windowMs`. */
export async function countRecentBreaches(
  sql: Sql,
  tenantId: string,
  workflowName: string,
  windowMs: number,
): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from workflow_runs
     where latency_breach and tenant_id = ${tenantId} and workflow_name = ${workflowName}
       and ended_at > now() - ${windowMs} * interval '1 millisecond'`;
  return row?.n ?? 0;
}
