import type { Sql } from '../../client.js';

export interface DeletedCounts {
  runs: number;
  events: number;
  effects: number;
  outbox: number;
  tasks: number;
  accepted_runs: number;
}

/**
 * Deletes runs and everything that hangs off them in one statement, so a batch is gone whole or
 * not at all (never a run without its events, or events of a run that is gone). The effect journal
 * goes with the key's runs once the key is settled: nothing reads a finished key's journal again.
 * The conditions of listPrunableRuns are checked again here, since a row may have changed since.
 */
export async function deleteRuns(sql: Sql, runIds: string[]): Promise<DeletedCounts> {
  if (runIds.length === 0) return { runs: 0, events: 0, effects: 0, outbox: 0, tasks: 0, accepted_runs: 0 };
  const [row] = await sql<DeletedCounts[]>`
    with gone as (
      delete from workflow_runs r
       where r.workflow_run_id = any(${runIds}::text[])
         and r.status in ('ok', 'noop', 'failed', 'blocked')
         and not exists (select 1 from idempotency_keys k where k.idempotency_key = r.idempotency_key and k.state = 'in_progress')
         and not exists (select 1 from tasks t where t.idempotency_key = r.idempotency_key and t.status = 'open')
         and not exists (select 1 from outbox o where o.parent_run_id = r.workflow_run_id and o.state = 'pending')
      returning r.workflow_run_id, r.idempotency_key
    ), ev as (
      delete from events e using gone g where e.workflow_run_id = g.workflow_run_id returning 1
    ), ef as (
      delete from effects f using gone g where f.idempotency_key = g.idempotency_key returning 1
    ), ob as (
      delete from outbox o using gone g where o.parent_run_id = g.workflow_run_id returning 1
    ), tk as (
      delete from tasks t using gone g where t.workflow_run_id = g.workflow_run_id returning 1
    ), ac as (
      delete from accepted_runs a using gone g where a.workflow_run_id = g.workflow_run_id returning 1
    )
    select (select count(*)::int from gone) as runs, (select count(*)::int from ev) as events,
           (select count(*)::int from ef) as effects, (select count(*)::int from ob) as outbox,
           (select count(*)::int from tk) as tasks, (select count(*)::int from ac) as accepted_runs`;
  return row!;
}
