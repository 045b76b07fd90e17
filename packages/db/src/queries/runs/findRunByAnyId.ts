import { fromJobId } from '@revos/envelope';
import type { Sql } from '../../client.js';
import type { RunIdKind, RunLocation } from './run-rows.js';

/**
 * Finds the run any id an operator holds belongs to, across tenants (operators, not tenants, call
 * this): a run id, an idempotency key or its BullMQ job id, a correlation id or trigger id (the
 * lineage's earliest run), an event id, a task id or an outbox id (its child run when dispatched,
 * else its parent). The most specific match wins.
 *
 * Every branch is an index lookup, so a search costs the same at any history depth. A job id is
 * matched through the key it encodes (`fromJobId`), by the key's index: every job intake enqueues
 * has `toJobId(key)` as its id. An id that is not such a job id is not looked up as one.
 */
export async function findRunByAnyId(sql: Sql, id: string): Promise<RunLocation | null> {
  const jobKey = keyOfJobId(id);
  const [row] = await sql<(RunLocation & { rank: number })[]>`
    select tenant_id, workflow_run_id, matched, rank from (
      select tenant_id, workflow_run_id, 'workflow_run_id' as matched, 1 as rank, accepted_at from workflow_runs where workflow_run_id = ${id}
      union all
      select tenant_id, workflow_run_id, 'idempotency_key', 2, accepted_at from workflow_runs where idempotency_key = ${id}
      union all
      select tenant_id, workflow_run_id, 'job_id', 3, accepted_at from workflow_runs
       where idempotency_key = ${jobKey} and job_id = ${id}
      union all
      select e.tenant_id, e.workflow_run_id, 'event_id', 4, e.occurred_at from events e where e.event_id = ${id}
      union all
      select t.tenant_id, t.workflow_run_id, 'task_id', 5, t.created_at from tasks t where t.task_id = ${id}
      union all
      select o.tenant_id, coalesce(o.child_run_id, o.parent_run_id), 'outbox_id', 6, o.created_at from outbox o where o.outbox_id = ${id}
      union all
      select tenant_id, workflow_run_id, 'correlation_id', 7, accepted_at from workflow_runs where correlation_id = ${id}
      union all
      select tenant_id, workflow_run_id, 'trigger_id', 8, accepted_at from workflow_runs where trigger_id = ${id}
    ) m
    order by rank, accepted_at
    limit 1`;
  if (!row) return null;
  return { tenant_id: row.tenant_id, workflow_run_id: row.workflow_run_id, matched: row.matched };
}

/** The key a BullMQ job id encodes, or null when `id` is not one (the branch then matches nothing). */
function keyOfJobId(id: string): string | null {
  try {
    return fromJobId(id);
  } catch {
    return null;
  }
}
