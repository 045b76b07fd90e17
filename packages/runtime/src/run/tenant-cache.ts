import { loadTenant, type Sql, type TenantRecord } from '@revos/db';
import { readStoredTenantConfig } from '@revos/envelope';
import type { Logger } from 'pino';

/**
 * Tenant rows change rarely and every run needs one: a short in-process cache
 * saves a round trip per run. A changed entitlement takes effect within `ttlMs`.
 * The config is read through the tenant-config schema: a stored key that breaks its rule (a row
 * written before the schema, or by hand) reads as unset, `privacy_mode` as phi_minimized, and a
 * warning names the keys (never their values).
 */
export class TenantCache {
  private readonly entries = new Map<string, { tenant: TenantRecord | null; expiresAt: number }>();
  /** `tenant:keys` already warned about, so a bad row warns once per process, not once per load. */
  private readonly warned = new Set<string>();

  constructor(
    private readonly sql: Sql,
    private readonly ttlMs: number,
    private readonly log?: Logger,
  ) {}

  async get(tenantId: string): Promise<TenantRecord | null> {
    const now = Date.now();
    const hit = this.entries.get(tenantId);
    if (hit && hit.expiresAt > now) return hit.tenant;
    const loaded = await loadTenant(this.sql, tenantId);
    const tenant = loaded ? this.checked(loaded) : null;
    // A missing tenant is not cached: the operator's fix should be seen by the next retry.
    if (tenant) this.entries.set(tenantId, { tenant, expiresAt: now + this.ttlMs });
    return tenant;
  }

  clear(): void {
    this.entries.clear();
  }

  private checked(tenant: TenantRecord): TenantRecord {
    const { config, invalidKeys } = readStoredTenantConfig(tenant.config);
    if (invalidKeys.length === 0) return tenant;
    const once = `${tenant.tenantId}:${invalidKeys.join(',')}`;
    if (!this.warned.has(once)) {
      this.warned.add(once);
      this.log?.warn({ tenant_id: tenant.tenantId, fields: invalidKeys.map((k) => `config.${k}`) }, 'tenant config has invalid keys; reading them as unset (privacy_mode as phi_minimized)');
    }
    return { ...tenant, config };
  }
}
