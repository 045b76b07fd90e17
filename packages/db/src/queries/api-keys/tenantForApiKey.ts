import type { Sql } from '../../client.js';
import { hashApiKey } from './hashApiKey.js';

/** The tenant an API key belongs to, or null for an unknown or revoked key. */
export async function tenantForApiKey(sql: Sql, key: string): Promise<string | null> {
  const [row] = await sql<{ tenant_id: string }[]>`
    select tenant_id from api_keys where key_hash = ${hashApiKey(key)} and revoked_at is null`;
  return row?.tenant_id ?? null;
}
