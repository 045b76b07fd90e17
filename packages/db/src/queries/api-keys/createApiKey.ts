import { randomBytes } from 'node:crypto';
import type { Sql } from '../../client.js';
import { hashApiKey } from './hashApiKey.js';

/** Creates a key for a tenant and returns it in plain text (the only time it exists outside the caller). */
export async function createApiKey(sql: Sql, tenantId: string, label: string | null = null): Promise<string> {
  const key = `rvk_${randomBytes(24).toString('base64url')}`;
  await sql`insert into api_keys (key_hash, tenant_id, label) values (${hashApiKey(key)}, ${tenantId}, ${label})`;
  return key;
}
