import type { Queryable } from '../../client.js';
import { RUN_ENVELOPE } from '../../stored-envelope.js';
import { RUN_OUTPUT } from '../../stored-output.js';
import type { ExportRunRow } from './run-rows.js';

/** Statuses a run never leaves: only these are exported (a `queued` or `retry` run is still moving). */
export const EXPORTABLE_STATUSES = ['ok', 'noop', 'failed', 'blocked'] as const;

export interface ExportFilter {
  tenantId: string;
  workflow?: string;
  /** Runs that ended at or after this time... */
  since?: Date;
  /** ...and strictly before this one. Required: it pins the selection, so a retried export reads the same runs. */
  until: Date;
}

/**
 * Where the previous page stopped: (ended_at, workflow_run_id) of its last row. `endedAt` is PostgreSQL's own
 * text of the time, bound as text: bound as a timestamptz, postgres.js would parse it into a Date and drop the
 * microseconds, and the page after would start with the row the cursor names.
 */
export interface ExportCursor {
  endedAt: string;
  runId: string;
}

/**
 * One page of finished runs in (ended_at, workflow_run_id) order, after `cursor`. Keyset paging
 * keeps every page one index range, however deep the export goes.
 */
export async function listRunsForExport(sql: Queryable, f: ExportFilter, cursor: ExportCursor | null, limit: number): Promise<ExportRunRow[]> {
  return sql<ExportRunRow[]>`
    select workflow_run_id, parent_run_id, root_run_id, workflow_name, workflow_version, status, privacy_mode,
           inputs_hash, outputs_hash, latency_ms, retry_count, latency_breach, accepted_at, ended_at,
           ended_at::text as ended_at_key, ${sql.unsafe(RUN_ENVELOPE)}, ${sql.unsafe(RUN_OUTPUT)}
      from workflow_runs
     where tenant_id = ${f.tenantId}
       and status in ${sql(EXPORTABLE_STATUSES as unknown as string[])}
       and ended_at < ${f.until}
       and (${f.since ?? null}::timestamptz is null or ended_at >= ${f.since ?? null})
       and (${f.workflow ?? null}::text is null or workflow_name = ${f.workflow ?? null})
       and (${cursor?.endedAt ?? null}::text is null
            or (ended_at, workflow_run_id) > (${cursor?.endedAt ?? null}::text::timestamptz, ${cursor?.runId ?? ''}))
     order by ended_at, workflow_run_id
     limit ${limit}`;
}
