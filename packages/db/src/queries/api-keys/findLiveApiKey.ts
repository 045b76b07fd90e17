import type { Sql } from '../../client.js';
import { hashApiKey } from './hashApiKey.js';

/** Who a request's key is: its tenant and public id (what the audit records as `api:<key id>`). */
export interface LiveApiKey {
  tenantId: string;
  keyId: string;
}

/**
 * The key's tenant and id, or null for an unknown or revoked key. Read on every request, never
 * cached: a revoke is refused by every replica from the next request on.
 */
export async function findLiveApiKey(sql: Sql, key: string): Promise<LiveApiKey | null> {
  const [row] = await sql<{ tenant_id: string; key_id: string }[]>`
    select tenant_id, key_id from api_keys where key_hash = ${hashApiKey(key)} and revoked_at is null`;
  return row ? { tenantId: row.tenant_id, keyId: row.key_id } : null;
}
