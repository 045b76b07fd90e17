import type { Sql } from '../../client.js';
import { oldAlertsCte } from './old-alerts.js';
import { ownRetentionCte, type RetentionPolicy } from './retention-policy.js';

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
