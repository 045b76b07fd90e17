import type { Sql } from '../../client.js';
import type { Lease } from '../ledger/lease.js';

export interface FailEffect {
  lease: Lease;
  effectName: string;
  tenantId: string;
  workflowRunId: string;
  service: string;
  endpoint: string;
  latencyMs: number;
  failureCode: string;
}

/**
 * The vendor did not get the request, or refused it (`not_sent`), or its lookup proved it absent: the
 * effect did not happen and may be tried again. A call with an intent (`started`, or `unknown` before the
 * lookup) was counted by its intent; a deduping vendor's call writes none, so its failure counts it.
 */
export async function failEffect(sql: Sql, f: FailEffect): Promise<void> {
  await sql`
    insert into effects as e (idempotency_key, effect_name, tenant_id, workflow_run_id, state, service, endpoint,
                              latency_ms, success, failure_code)
    select ${f.lease.idempotencyKey}, ${f.effectName}, ${f.tenantId}, ${f.workflowRunId}, 'failed', ${f.service},
           ${f.endpoint}, ${f.latencyMs}, false, ${f.failureCode}
      from idempotency_keys
     where idempotency_key = ${f.lease.idempotencyKey} and fence = ${f.lease.fence} and lease_token = ${f.lease.token}
       and state = 'in_progress'
    on conflict (idempotency_key, effect_name) do update
      set state = 'failed', latency_ms = excluded.latency_ms, success = false, failure_code = excluded.failure_code,
          attempts = case when e.state in ('started', 'unknown') then e.attempts else e.attempts + 1 end
      where e.state <> 'completed'`;
}
