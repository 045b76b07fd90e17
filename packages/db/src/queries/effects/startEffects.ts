import type { Sql } from '../../client.js';
import type { Lease } from '../ledger/lease.js';

export interface StartEffect {
  lease: Lease;
  effectName: string;
  tenantId: string;
  workflowRunId: string;
  service: string;
  endpoint: string;
  /** Where the effect goes, already masked (`+*******0001`): what staff are asked about. */
  target?: string | null;
}

/** Many intents in one statement (group commit); (key, effect) pairs must be distinct within a call. */
export async function startEffects(sql: Sql, entries: StartEffect[]): Promise<boolean[]> {
  const input = entries.map((e, idx) => ({
    idx,
    key: e.lease.idempotencyKey,
    fence: e.lease.fence,
    token: e.lease.token,
    name: e.effectName,
    tenant: e.tenantId,
    run: e.workflowRunId,
    service: e.service,
    endpoint: e.endpoint,
    target: e.target ?? null,
  }));
  const rows = await sql<{ idx: number }[]>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::text::jsonb)
        as i(idx int, key text, fence bigint, token text, name text, tenant text, run text, service text, endpoint text, target text)
    ), ins as (
      insert into effects as f (idempotency_key, effect_name, tenant_id, workflow_run_id, state, service, endpoint, intent_at, target)
      select i.key, i.name, i.tenant, i.run, 'started', i.service, i.endpoint, now(), i.target
        from input i
        cross join lateral (
          select 1 from idempotency_keys k
           where k.idempotency_key = i.key and k.fence = i.fence and k.lease_token = i.token and k.state = 'in_progress' limit 1) k
      on conflict (idempotency_key, effect_name) do update
        set state = 'started', attempts = f.attempts + 1, workflow_run_id = excluded.workflow_run_id,
            intent_at = now(), target = coalesce(excluded.target, f.target)
        where f.state <> 'completed'
      returning f.idempotency_key, f.effect_name
    )
    select i.idx from input i join ins on ins.idempotency_key = i.key and ins.effect_name = i.name`;
  const started = new Set(rows.map((r) => r.idx));
  return entries.map((_, idx) => started.has(idx));
}
