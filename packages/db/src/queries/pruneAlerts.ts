import type { Sql } from '../client.js';
import { ownRetentionCte, shortestKeepDays, type RetentionPolicy } from './retentionPolicy.js';

/**
 * `old_alerts` CTE (needs `own`): alerts raised longer ago than their tenant keeps runs. An alert with
 * no tenant (a fleet-wide condition such as a workflow's failure rate) is kept as long as the default.
 * Alerts dedupe per condition and window, so a window long past is never needed to dedupe again.
 */
function oldAlertsCte(sql: Sql, policy: RetentionPolicy) {
  return sql`
    old_alerts as (
      select a.alert_id, a.tenant_id
        from alerts a left join own o on o.tenant_id = a.tenant_id
       where a.created_at < now() - ${shortestKeepDays(policy)} * interval '1 day'
         and a.created_at < now() - coalesce(o.keep_days, ${policy.defaultKeepDays}) * interval '1 day'
         and (a.tenant_id is null or a.tenant_id <> all(${policy.skipTenants}::text[]))
    )`;
}

/** Deletes one batch of alerts past retention; returns how many went. */
export async function pruneAlerts(sql: Sql, policy: RetentionPolicy, limit: number): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    with ${ownRetentionCte(sql, policy)}, ${oldAlertsCte(sql, policy)}, gone as (
      delete from alerts a where a.alert_id in (select alert_id from old_alerts limit ${limit})
      returning 1
    )
    select count(*)::int as n from gone`;
  return rows[0]?.n ?? 0;
}

export interface PrunableAlerts {
  /** null: alerts of no tenant. */
  tenant_id: string | null;
  alerts: number;
}

/** The dry run of pruneAlerts: per tenant how many alerts would go. Reads only. */
export async function countPrunableAlerts(sql: Sql, policy: RetentionPolicy): Promise<PrunableAlerts[]> {
  return sql<PrunableAlerts[]>`
    with ${ownRetentionCte(sql, policy)}, ${oldAlertsCte(sql, policy)}
    select tenant_id, count(*)::int as alerts from old_alerts group by tenant_id order by tenant_id nulls first`;
}
