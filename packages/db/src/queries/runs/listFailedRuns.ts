import type { Sql } from '../../client.js';
import type { FailedRunRow } from './run-rows.js';

export interface FailedRunFilter {
  workflow?: string;
  tenantId?: string;
  /** Only runs that ended at or after this time. */
  since?: Date;
  limit: number;
}

/** Runs that ended `failed` (terminal), newest first, across tenants unless one is named. */
export async function listFailedRuns(sql: Sql, f: FailedRunFilter): Promise<FailedRunRow[]> {
  return sql<FailedRunRow[]>`
    select workflow_run_id, root_run_id, tenant_id, workflow_name, status, failure_code, failure_stage, retry_count,
           privacy_mode, ended_at::text
      from workflow_runs
     where status = 'failed'
       and (${f.workflow ?? null}::text is null or workflow_name = ${f.workflow ?? null})
       and (${f.tenantId ?? null}::text is null or tenant_id = ${f.tenantId ?? null})
       and (${f.since ?? null}::timestamptz is null or ended_at >= ${f.since ?? null})
     order by ended_at desc nulls last, workflow_run_id
     limit ${f.limit}`;
}
