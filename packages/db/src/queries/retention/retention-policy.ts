import type { Sql } from '../../client.js';

/**
 * How long one tenant's history is kept, in days counted from a run's acceptance. `keepDays` bounds
 * runs and everything that hangs off them (events, effect journal, outbox, done tasks, intake
 * records); `dedupeDays` bounds the ledger row that answers a late duplicate with `noop` (never
 * shorter than `keepDays`: the runtime resolves and checks both before they get here).
 */
export interface TenantRetention {
  tenantId: string;
  keepDays: number;
  dedupeDays: number;
}

export interface RetentionPolicy {
  /** Tenants with their own setting. */
  tenants: TenantRetention[];
  /** Every other tenant (and runs whose tenant has no row). */
  defaultKeepDays: number;
  defaultDedupeDays: number;
  /** Tenants nothing is pruned of this pass (their own setting is invalid: nothing goes on a misconfiguration). */
  skipTenants: string[];
}

/**
 * `own` CTE: the tenants with their own setting, as rows. Shared by the prune statements and the dry
 * run so they cannot disagree about a tenant's window.
 */
export function ownRetentionCte(sql: Sql, policy: RetentionPolicy) {
  const rows = policy.tenants.map((t) => ({ tenant_id: t.tenantId, keep_days: t.keepDays, dedupe_days: t.dedupeDays }));
  return sql`
    own as (
      select * from jsonb_to_recordset(${JSON.stringify(rows)}::text::jsonb) as t(tenant_id text, keep_days int, dedupe_days int)
    )`;
}

/** The shortest window of any tenant: a plain bound on the indexed time column, so old rows are found by index. */
function shortest(policy: RetentionPolicy, pick: (t: { keepDays: number; dedupeDays: number }) => number): number {
  return Math.min(pick({ keepDays: policy.defaultKeepDays, dedupeDays: policy.defaultDedupeDays }), ...policy.tenants.map(pick));
}

/** The shortest run retention of any tenant (days). */
export function shortestKeepDays(policy: RetentionPolicy): number {
  return shortest(policy, (t) => t.keepDays);
}

/**
 * `prunable` CTE (needs `own`): finished runs older than their tenant's window that nothing still
 * needs. A run stays while its key is in progress (a live or stalled attempt may still read its
 * journal), while an open task names its key (staff may still settle it), or while it has an
 * outbox entry not yet dispatched (its follow-up would be lost).
 */
export function prunableRunsCte(sql: Sql, policy: RetentionPolicy) {
  return sql`
    prunable as (
      select r.workflow_run_id, r.tenant_id, r.idempotency_key, r.job_id, r.lane, r.accepted_at
        from workflow_runs r left join own o on o.tenant_id = r.tenant_id
       where r.status in ('ok', 'noop', 'failed', 'blocked')
         and r.accepted_at < now() - ${shortestKeepDays(policy)} * interval '1 day'
         and r.accepted_at < now() - coalesce(o.keep_days, ${policy.defaultKeepDays}) * interval '1 day'
         and r.tenant_id <> all(${policy.skipTenants}::text[])
         and not exists (select 1 from idempotency_keys k where k.idempotency_key = r.idempotency_key and k.state = 'in_progress')
         and not exists (select 1 from tasks t where t.idempotency_key = r.idempotency_key and t.status = 'open')
         and not exists (select 1 from outbox x where x.parent_run_id = r.workflow_run_id and x.state = 'pending')
    )`;
}

/**
 * `expired_keys` CTE (needs `own`): settled ledger keys past their tenant's dedupe window. Whether
 * runs of the key are left is for the caller to check (the prune and the dry run differ there).
 */
export function expiredKeysCte(sql: Sql, policy: RetentionPolicy) {
  return sql`
    expired_keys as (
      select k.idempotency_key, k.tenant_id
        from idempotency_keys k left join own o on o.tenant_id = k.tenant_id
       where k.state in ('completed', 'failed')
         and k.created_at < now() - ${shortest(policy, (t) => t.dedupeDays)} * interval '1 day'
         and k.created_at < now() - coalesce(o.dedupe_days, ${policy.defaultDedupeDays}) * interval '1 day'
         and k.tenant_id <> all(${policy.skipTenants}::text[])
    )`;
}
