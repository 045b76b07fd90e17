import type { Queryable } from '../../client.js';

/**
 * The effect of a run whose outcome nobody knows (an intent without a result): what a task about
 * `effect_outcome_unknown` is asking staff to settle. Null when every effect of the key is settled.
 */
export async function findUnsettledEffect(
  sql: Queryable,
  tenantId: string,
  idempotencyKey: string,
): Promise<{ effectName: string; service: string; endpoint: string } | null> {
  const [row] = await sql<{ effect_name: string; service: string; endpoint: string }[]>`
    select effect_name, service, endpoint from effects
     where tenant_id = ${tenantId} and idempotency_key = ${idempotencyKey} and state not in ('completed', 'failed')
     order by created_at
     limit 1`;
  return row ? { effectName: row.effect_name, service: row.service, endpoint: row.endpoint } : null;
}
