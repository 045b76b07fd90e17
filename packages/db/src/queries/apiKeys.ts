import { createHash, randomBytes } from 'node:crypto';
import type { Sql } from '../client.js';

/** Keys are shown once and stored as sha256: a database leak does not leak working keys. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/** Creates a key for a tenant and returns it in plain text (the only time it exists outside the caller). */
export async function createApiKey(sql: Sql, tenantId: string, label: string | null = null): Promise<string> {
  const key = `rvk_${randomBytes(24).toString('base64url')}`;
  await sql`insert into api_keys (key_hash, tenant_id, label) values (${hashApiKey(key)}, ${tenantId}, ${label})`;
  return key;
}

/** The tenant an API key belongs to, or null for an unknown or revoked key. */
export async function tenantForApiKey(sql: Sql, key: string): Promise<string | null> {
  const [row] = await sql<{ tenant_id: string }[]>`
    select tenant_id from api_keys where key_hash = ${hashApiKey(key)} and revoked_at is null`;
  return row?.tenant_id ?? null;
}
