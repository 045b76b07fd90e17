import type { Sql } from '../../client.js';
import type { Lease } from '../ledger/lease.js';

export interface MarkEffectUnknown {
  lease: Lease;
  effectName: string;
  latencyMs: number;
  /** Our failure code for the call (`vendor_unavailable`, `network`, `timeout`, ...). */
  failureCode: string;
}

/**
 * The call ended without telling whether the vendor acted (a reset after the request was written,
 * our timeout, a 5xx, a cut body): the intent becomes `unknown`, never `failed`, so nothing may call
 * the vendor again until the vendor's own records (reconciliation) or a person settle it. Under the
 * lease; returns false when the lease was lost (the entry is then another worker's to settle).
 */
export async function markEffectUnknown(sql: Sql, m: MarkEffectUnknown): Promise<boolean> {
  const rows = await sql`
    update effects e
       set state = 'unknown', latency_ms = ${m.latencyMs}, success = null, failure_code = ${m.failureCode}
      from idempotency_keys k
     where e.idempotency_key = ${m.lease.idempotencyKey} and e.effect_name = ${m.effectName}
       and e.state in ('started', 'unknown')
       and k.idempotency_key = e.idempotency_key and k.fence = ${m.lease.fence} and k.lease_token = ${m.lease.token} and k.state = 'in_progress'
    returning 1`;
  return rows.length === 1;
}
