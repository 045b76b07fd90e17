import type { Queryable } from '../../client.js';
import { RUN_ENVELOPE } from '../../stored-envelope.js';
import { RUN_OUTPUT } from '../../stored-output.js';
import type { PhiScanRunRow } from './run-rows.js';

export interface PhiScanFilter {
  tenantId: string;
  /** Runs written (accepted, updated or finished) at or after this time... */
  since: Date;
  /** ...and at or before this one (a retried scan covers the same window). */
  until: Date;
  /** The scanning run itself, which is not a subject of its own scan. */
  excludeRunId?: string;
  limit: number;
}

/**
 * One tenant's `phi_minimized` runs written within the window, newest first. `updated_at` is the
 * window's clock because a run accepted before the window may have stored its output inside it.
 */
export async function listRunsForPhiScan(sql: Queryable, f: PhiScanFilter): Promise<PhiScanRunRow[]> {
  return sql<PhiScanRunRow[]>`
    select workflow_run_id, workflow_name, ${sql.unsafe(RUN_ENVELOPE)}, ${sql.unsafe(RUN_OUTPUT)}
      from workflow_runs
     where tenant_id = ${f.tenantId}
       and privacy_mode = 'phi_minimized'
       and updated_at >= ${f.since} and updated_at <= ${f.until}
       and workflow_run_id <> ${f.excludeRunId ?? ''}
     order by updated_at desc, workflow_run_id
     limit ${f.limit}`;
}
