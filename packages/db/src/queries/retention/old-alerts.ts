import type { Sql } from '../../client.js';
import { shortestKeepDays, type RetentionPolicy } from './retention-policy.js';

/**
 * `old_alerts` CTE (needs `own`): alerts raised longer ago than their tenant keeps runs. An alert with
 * no tenant (a fleet-wide condition such as a workflow's failure rate) is kept as long as the default.
 * Alerts dedupe per condition and window, so a window long past is never needed to dedupe again.
 */
export function oldAlertsCte(sql: Sql, policy: RetentionPolicy) {
  return sql`
    old_alerts as (
      select a.alert_id, a.tenant_id
        from alerts a left join own o on o.tenant_id = a.tenant_id
       where a.created_at < now() - ${shortestKeepDays(policy)} * interval '1 day'
         and a.created_at < now() - coalesce(o.keep_days, ${policy.defaultKeepDays}) * interval '1 day'
         and (a.tenant_id is null or a.tenant_id <> all(${policy.skipTenants}::text[]))
    )`;
}
