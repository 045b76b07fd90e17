import type { Sql } from '../../client.js';
import { oldAlertsCte } from './old-alerts.js';
import { ownRetentionCte, type RetentionPolicy } from './retention-policy.js';

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
