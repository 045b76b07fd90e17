import type { Sql } from '../../client.js';
import { expiredKeysCte, ownRetentionCte, type RetentionPolicy } from './retention-policy.js';

/**
 * Deletes one batch of ledger keys past their tenant's dedupe window; returns how many went. A key
 * goes only once no run of it is left (no run row, no intake record): while one is, a duplicate
 * must still be absorbed. After this, a submission with the key is a new run.
 */
export async function pruneLedger(sql: Sql, policy: RetentionPolicy, limit: number): Promise<number> {
  const rows = await sql<{ n: number }[]>`
    with ${ownRetentionCte(sql, policy)}, ${expiredKeysCte(sql, policy)}, batch as (
      select e.idempotency_key from expired_keys e
       where not exists (select 1 from accepted_runs a where a.idempotency_key = e.idempotency_key)
         and not exists (select 1 from workflow_runs r where r.idempotency_key = e.idempotency_key)
       limit ${limit}
    ), gone as (
      delete from idempotency_keys k using batch b
       where k.idempotency_key = b.idempotency_key and k.state in ('completed', 'failed')
      returning 1
    )
    select count(*)::int as n from gone`;
  return rows[0]?.n ?? 0;
}
