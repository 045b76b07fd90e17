import type { Sql } from '../../client.js';

/** How many replays of a run were accepted so far (trigger ids `replay:<run id>:<n>`). */
export async function countReplays(sql: Sql, runId: string): Promise<number> {
  const [row] = await sql<{ n: number }[]>`
    select count(*)::int as n from workflow_runs
     where parent_run_id = ${runId} and starts_with(trigger_id, ${`replay:${runId}:`})`;
  return row?.n ?? 0;
}
