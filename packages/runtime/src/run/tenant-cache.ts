import { loadTenant, type Sql, type TenantRecord } from '@revos/db';

/**
 * Tenant rows change rarely and every run needs one: a short in-process cache
 * saves a round trip per run. A changed entitlement takes effect within `ttlMs`.
 */
export class TenantCache {
  private readonly entries = new Map<string, { tenant: TenantRecord | null; expiresAt: number }>();

  constructor(
    private readonly sql: Sql,
    private readonly ttlMs: number,
  ) {}

  async get(tenantId: string): Promise<TenantRecord | null> {
    const now = Date.now();
    const hit = this.entries.get(tenantId);
    if (hit && hit.expiresAt > now) return hit.tenant;
    const tenant = await loadTenant(this.sql, tenantId);
    // A missing tenant is not cached: the operator's fix should be seen by the next retry.
    if (tenant) this.entries.set(tenantId, { tenant, expiresAt: now + this.ttlMs });
    return tenant;
  }

  clear(): void {
    this.entries.clear();
  }
}
