import type { Sql } from '../../client.js';
import type { PendingOutboxEntry } from './outbox-rows.js';

/** The oldest pending outbox entries (what an operator looks at when the outbox lags). */
export async function oldestPendingOutbox(sql: Sql, limit: number): Promise<PendingOutboxEntry[]> {
  return sql<PendingOutboxEntry[]>`
    select outbox_id, tenant_id, parent_run_id, root_run_id, workflow, attempts, last_error,
           extract(epoch from now() - created_at)::float8 as age_s
      from outbox where state = 'pending' order by created_at limit ${limit}`;
}
