import type { Queryable } from '../../client.js';
import type { RunView } from './run-rows.js';
import { RUN_COLUMNS } from './run-columns.js';

/** Every run of the lineage the given run belongs to, from its root, in acceptance order. */
export async function findRunTree(sql: Queryable, tenantId: string, runId: string): Promise<RunView[]> {
  return sql<RunView[]>`
    select ${sql.unsafe(RUN_COLUMNS)} from workflow_runs
     where tenant_id = ${tenantId}
       and root_run_id = (select root_run_id from workflow_runs where tenant_id = ${tenantId} and workflow_run_id = ${runId})
     order by accepted_at, workflow_run_id`;
}
