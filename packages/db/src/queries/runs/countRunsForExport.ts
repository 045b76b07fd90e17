import type { Queryable } from '../../client.js';
import { EXPORTABLE_STATUSES, type ExportFilter } from './listRunsForExport.js';

/** How many finished runs the filter selects. */
export async function countRunsForExport(sql: Queryable, f: ExportFilter): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n
      from workflow_runs
     where tenant_id = ${f.tenantId}
       and status in ${sql(EXPORTABLE_STATUSES as unknown as string[])}
       and ended_at < ${f.until}
       and (${f.since ?? null}::timestamptz is null or ended_at >= ${f.since ?? null})
       and (${f.workflow ?? null}::text is null or workflow_name = ${f.workflow ?? null})`;
  return row?.n ?? 0;
}
