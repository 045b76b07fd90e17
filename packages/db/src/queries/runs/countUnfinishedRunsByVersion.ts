import type { Sql } from '../../client.js';

export interface UnfinishedRunsOfVersion {
  workflowName: string;
  workflowVersion: string;
  lane: string;
  /** Accepted runs without a final status (`queued`, or `retry` between attempts). */
  unfinished: number;
}

/**
 * Accepted runs not yet finished, per workflow, version and lane: the versions a release must still
 * serve. PostgreSQL is the authority here (a run Redis lost is still listed: the reconciler enqueues
 * it again). Reads the (status, accepted_at) index.
 */
export async function countUnfinishedRunsByVersion(sql: Sql): Promise<UnfinishedRunsOfVersion[]> {
  const rows = await sql<{ workflow_name: string; workflow_version: string; lane: string; unfinished: number }[]>`
    select workflow_name, workflow_version, lane, count(*)::int as unfinished
      from workflow_runs
     where status in ('queued', 'retry')
     group by workflow_name, workflow_version, lane
     order by workflow_name, workflow_version, lane`;
  return rows.map((r) => ({ workflowName: r.workflow_name, workflowVersion: r.workflow_version, lane: r.lane, unfinished: r.unfinished }));
}
