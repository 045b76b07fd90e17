import type { Sql } from '../../client.js';
import { jsonb } from '../json.js';
import type { TenantRecord } from './loadTenant.js';

export interface NewTenant {
  tenantId: string;
  name: string;
  entitlements?: TenantRecord['entitlements'];
  config?: Record<string, unknown>;
  policyVersion?: string | null;
  featureFlagsVersion?: string | null;
}

/** Creates or updates a tenant (operators and tests). */
export async function upsertTenant(sql: Sql, t: NewTenant): Promise<void> {
  await sql`
    insert into tenants (tenant_id, name, entitlements, config, policy_version, feature_flags_version)
    values (${t.tenantId}, ${t.name}, ${jsonb((t.entitlements ?? { workflows: '*' }))}::text::jsonb,
            ${jsonb((t.config ?? {}))}::text::jsonb, ${t.policyVersion ?? null}, ${t.featureFlagsVersion ?? null})
    on conflict (tenant_id) do update
      set name = excluded.name, entitlements = excluded.entitlements, config = excluded.config,
          policy_version = excluded.policy_version, feature_flags_version = excluded.feature_flags_version,
          updated_at = now()`;
}
