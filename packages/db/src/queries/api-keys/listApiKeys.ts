import type { Sql } from '../../client.js';

/** A key as lists show it: its public id and state, never the key or its hash. */
export interface ApiKeyListing {
  key_id: string;
  tenant_id: string;
  label: string | null;
  created_at: string;
  /** When it was revoked; null while it works. */
  revoked_at: string | null;
}

/** A tenant's keys, revoked ones included, oldest first. */
export async function listApiKeys(sql: Sql, tenantId: string): Promise<ApiKeyListing[]> {
  return sql<ApiKeyListing[]>`
    select key_id, tenant_id, label, created_at::text, revoked_at::text
      from api_keys where tenant_id = ${tenantId}
     order by created_at, key_id`;
}
