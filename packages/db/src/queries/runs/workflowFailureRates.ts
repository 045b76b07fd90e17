import type { Sql } from '../../client.js';
import type { WorkflowFailureRate } from './run-rows.js';

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
