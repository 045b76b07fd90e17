import type { Sql } from '../../client.js';
import { jsonb } from '../json.js';

/** What a policy change replaces: the ruleset (versioned by policy_version) or the feature flags. */
export type PolicyTarget = 'ruleset' | 'feature_flags';

export interface PolicyChange {
  tenantId: string;
  target: PolicyTarget;
  value: Record<string, unknown>;
  /** The version the change was made against (null: the tenant never had one). */
  fromVersion: string | null;
  /** Derived from the run, so a retried attempt names the same version. */
  toVersion: string;
}

export type PolicyChangeOutcome =
  | { kind: 'changed'; fromVersion: string | null; toVersion: string }
  /** An earlier attempt of the same run committed it (a crash before the run recorded it). */
  | { kind: 'already_applied'; toVersion: string }
  /** Someone else changed the policy since `fromVersion`: nothing was written. */
  | { kind: 'conflict'; currentVersion: string | null }
  | { kind: 'no_tenant' };

const COLUMNS: Record<PolicyTarget, { value: 'ruleset' | 'feature_flags'; version: 'policy_version' | 'feature_flags_version' }> = {
  ruleset: { value: 'ruleset', version: 'policy_version' },
  feature_flags: { value: 'feature_flags', version: 'feature_flags_version' },
};

/**
 * Compare-and-set of a tenant's ruleset or flags with its version, in one statement: written only
 * while the row is still at `fromVersion`, so two changes made against one version cannot both
 * land, and a retry of a change that already landed (the row is at `toVersion`) writes nothing.
 */
export async function changeTenantPolicy(sql: Sql, c: PolicyChange): Promise<PolicyChangeOutcome> {
  const col = COLUMNS[c.target];
  const [row] = await sql<{ current_version: string | null; changed: boolean; found: boolean }[]>`
    with cur as (
      select ${sql(col.version)} as v from tenants where tenant_id = ${c.tenantId}
    ), upd as (
      update tenants set ${sql(col.value)} = ${jsonb(c.value)}::text::jsonb, ${sql(col.version)} = ${c.toVersion}, updated_at = now()
       where tenant_id = ${c.tenantId} and ${sql(col.version)} is not distinct from ${c.fromVersion}
      returning 1
    )
    select (select v from cur) as current_version, exists (select 1 from upd) as changed, exists (select 1 from cur) as found`;
  if (!row?.found) return { kind: 'no_tenant' };
  if (row.changed) return { kind: 'changed', fromVersion: c.fromVersion, toVersion: c.toVersion };
  if (row.current_version === c.toVersion) return { kind: 'already_applied', toVersion: c.toVersion };
  return { kind: 'conflict', currentVersion: row.current_version };
}
