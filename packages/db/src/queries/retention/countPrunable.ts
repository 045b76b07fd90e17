import type { Sql } from '../../client.js';
import { expiredKeysCte, ownRetentionCte, prunableRunsCte, type RetentionPolicy } from './retention-policy.js';

export interface PrunableCounts {
  tenant_id: string;
  runs: number;
  events: number;
  effects: number;
  outbox: number;
  tasks: number;
  accepted_runs: number;
  /** Ledger keys past the dedupe window whose runs are gone or go in the same pass. */
  ledger_keys: number;
  /** When the oldest run that would go was accepted (ISO), null when none. */
  oldest_accepted_at: string | null;
}

/** The dry run of a prune pass: per tenant, how many rows of each table would go. Reads only. */
export async function countPrunable(sql: Sql, policy: RetentionPolicy): Promise<PrunableCounts[]> {
  return sql<PrunableCounts[]>`
    with ${ownRetentionCte(sql, policy)}, ${prunableRunsCte(sql, policy)}, ${expiredKeysCte(sql, policy)},
    per_run as (
      select p.tenant_id, count(*)::int as runs,
             sum((select count(*) from events e where e.workflow_run_id = p.workflow_run_id))::int as events,
             sum((select count(*) from outbox x where x.parent_run_id = p.workflow_run_id))::int as outbox,
             sum((select count(*) from tasks t where t.workflow_run_id = p.workflow_run_id))::int as tasks,
             sum((select count(*) from accepted_runs a where a.workflow_run_id = p.workflow_run_id))::int as accepted_runs,
             to_json(min(p.accepted_at)) #>> '{}' as oldest_accepted_at
        from prunable p group by p.tenant_id
    ), per_key as (
      select k.tenant_id, count(*)::int as effects
        from effects f join (select distinct tenant_id, idempotency_key from prunable) k on k.idempotency_key = f.idempotency_key
       group by k.tenant_id
    ), ledger as (
      select e.tenant_id, count(*)::int as ledger_keys from expired_keys e
       where not exists (select 1 from workflow_runs r where r.idempotency_key = e.idempotency_key
                           and r.workflow_run_id not in (select workflow_run_id from prunable))
       group by e.tenant_id
    )
    select t.tenant_id, coalesce(r.runs, 0) as runs, coalesce(r.events, 0) as events, coalesce(k.effects, 0) as effects,
           coalesce(r.outbox, 0) as outbox, coalesce(r.tasks, 0) as tasks, coalesce(r.accepted_runs, 0) as accepted_runs,
           coalesce(l.ledger_keys, 0) as ledger_keys, r.oldest_accepted_at
      from (select tenant_id from per_run union select tenant_id from ledger) t
      left join per_run r on r.tenant_id = t.tenant_id
      left join per_key k on k.tenant_id = t.tenant_id
      left join ledger l on l.tenant_id = t.tenant_id
     order by t.tenant_id`;
}
