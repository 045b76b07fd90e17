import type { Sql } from '../../client.js';

export interface TenantRetentionSetting {
  tenant_id: string;
  /** `config.retention_days` as stored (unchecked: the runtime validates it). */
  retention_days: unknown;
  /** `config.dedupe_window_days` as stored (unchecked). */
  dedupe_window_days: unknown;
}

/** Tenants whose config sets their own retention; every other tenant gets the deployment's default. */
export async function listTenantRetentionSettings(sql: Sql): Promise<TenantRetentionSetting[]> {
  return sql<TenantRetentionSetting[]>`
    select tenant_id, config -> 'retention_days' as retention_days, config -> 'dedupe_window_days' as dedupe_window_days
      from tenants
     where config ? 'retention_days' or config ? 'dedupe_window_days'
     order by tenant_id`;
}
