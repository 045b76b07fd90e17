import type { Sql } from '../../client.js';

export interface TenantRecord {
  tenantId: string;
  name: string;
  entitlements: { workflows?: string[] | '*'; channels?: string[] };
  ruleset: Record<string, unknown>;
  featureFlags: Record<string, unknown>;
  featureFlagsVersion: string | null;
  policyVersion: string | null;
  config: Record<string, unknown>;
}

/** Load_Tenant_Entitlements: the tenant row, or null when the tenant is not configured. */
export async function loadTenant(sql: Sql, tenantId: string): Promise<TenantRecord | null> {
  const [row] = await sql<
    {
      tenant_id: string;
      name: string;
      entitlements: TenantRecord['entitlements'];
      ruleset: Record<string, unknown>;
      feature_flags: Record<string, unknown>;
      feature_flags_version: string | null;
      policy_version: string | null;
      config: Record<string, unknown>;
    }[]
  >`select tenant_id, name, entitlements, ruleset, feature_flags, feature_flags_version, policy_version, config
      from tenants where tenant_id = ${tenantId}`;
  if (!row) return null;
  return {
    tenantId: row.tenant_id,
    name: row.name,
    entitlements: row.entitlements,
    ruleset: row.ruleset,
    featureFlags: row.feature_flags,
    featureFlagsVersion: row.feature_flags_version,
    policyVersion: row.policy_version,
    config: row.config,
  };
}
