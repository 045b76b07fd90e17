import type { Sql } from '../../client.js';

/** The policy a run is stamped with at intake. */
export interface TenantPolicy {
  policyVersion: string | null;
  featureFlagsVersion: string | null;
  /** Only when asked for (workflows that decide by the ruleset): `null` otherwise. */
  ruleset: Record<string, unknown> | null;
  featureFlags: Record<string, unknown> | null;
  /** The tenant config's `privacy_mode` as stored, as text (null when unset); read by the strict-mode rule. */
  privacyMode: string | null;
}

/**
 * Intake's read of the tenant's current policy versions (and, when `withRules`, the ruleset and flags
 * those versions name), read straight from the row so a run accepted after a change carries it:
 * a per-process cache would let another process's change go unseen for its lifetime.
 * Null when the tenant is not configured (the run then fails config_missing at the worker).
 */
export async function loadTenantPolicy(sql: Sql, tenantId: string, withRules: boolean): Promise<TenantPolicy | null> {
  const [row] = await sql<
    { policy_version: string | null; feature_flags_version: string | null; ruleset: Record<string, unknown> | null; feature_flags: Record<string, unknown> | null; privacy_mode: string | null }[]
  >`select policy_version, feature_flags_version, config->>'privacy_mode' as privacy_mode,
           case when ${withRules} then ruleset end as ruleset,
           case when ${withRules} then feature_flags end as feature_flags
      from tenants where tenant_id = ${tenantId}`;
  if (!row) return null;
  return { policyVersion: row.policy_version, featureFlagsVersion: row.feature_flags_version, ruleset: row.ruleset, featureFlags: row.feature_flags, privacyMode: row.privacy_mode };
}
