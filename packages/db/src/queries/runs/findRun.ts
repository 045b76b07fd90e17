import type { Queryable } from '../../client.js';
import type { RunView } from './run-rows.js';
import { RUN_COLUMNS } from './run-columns.js';

/** One run of one tenant (another tenant's run is simply not found). */
export async function findRun(sql: Queryable, tenantId: string, runId: string): Promise<RunView | null> {
  const [row] = await sql<RunView[]>`
    select ${sql.unsafe(RUN_COLUMNS)} from workflow_runs where tenant_id = ${tenantId} and workflow_run_id = ${runId}`;
  return row ?? null;
}
