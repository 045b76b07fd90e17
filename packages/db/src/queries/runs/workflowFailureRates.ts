import type { Sql } from '../../client.js';
import type { WorkflowFailureRate } from './run-rows.js';

/**
 * Per workflow, runs finished within the last `windowMs` and how many of them ended `failed`.
 *
 * It runs every alert interval on every producer, so it must not read the history: the tenants are
 * listed by skipping through an index that leads with tenant_id, one probe per tenant (the runs' own
 * tenants, so a run whose tenant row is gone still counts), and each tenant's window is one range of
 * the (tenant_id, ended_at) index. The cost is the window's runs plus a few index
 * probes per tenant, whatever the table's depth.
 */
export async function workflowFailureRates(sql: Sql, windowMs: number): Promise<WorkflowFailureRate[]> {
  return sql<WorkflowFailureRate[]>`
    with recursive tenant as (
      (select tenant_id from workflow_runs order by tenant_id limit 1)
      union all
      select (select r.tenant_id from workflow_runs r where r.tenant_id > tenant.tenant_id order by r.tenant_id limit 1)
        from tenant where tenant.tenant_id is not null
    )
    select r.workflow_name, count(*)::int as total, (count(*) filter (where r.status = 'failed'))::int as failed
      from tenant
      join workflow_runs r on r.tenant_id = tenant.tenant_id
     where r.ended_at > now() - ${windowMs} * interval '1 millisecond'
       and r.status in ('ok', 'noop', 'blocked', 'failed')
     group by r.workflow_name
     order by r.workflow_name`;
}
