import type { Sql } from '../client.js';
import type { PendingOutboxEntry, WorkflowFailureRate } from '../rows.js';

/** Per workflow, runs finished within the last `windowMs` and how many of them ended `failed`. */
export async function workflowFailureRates(sql: Sql, windowMs: number): Promise<WorkflowFailureRate[]> {
  return sql<WorkflowFailureRate[]>`
    select workflow_name, count(*)::int as total, (count(*) filter (where status = 'failed'))::int as failed
      from workflow_runs
     where status in ('ok', 'noop', 'blocked', 'failed')
       and ended_at > now() - ${windowMs} * interval '1 millisecond'
     group by workflow_name
     order by workflow_name`;
}

/** The oldest pending outbox entries (what an operator looks at when the outbox lags). */
export async function oldestPendingOutbox(sql: Sql, limit: number): Promise<PendingOutboxEntry[]> {
  return sql<PendingOutboxEntry[]>`
    select outbox_id, tenant_id, parent_run_id, root_run_id, workflow, attempts, last_error,
           extract(epoch from now() - created_at)::float8 as age_s
      from outbox where state = 'pending' order by created_at limit ${limit}`;
}
