import { randomBytes } from 'node:crypto';
import type { Sql } from '../../client.js';
import { hashApiKey } from './hashApiKey.js';
import type { ApiKeyListing } from './listApiKeys.js';

/** A new key: its listing, and the key itself in plain text (the only time it exists outside the caller). */
export interface IssuedApiKey extends ApiKeyListing {
  api_key: string;
}

/** Issues a key for a tenant; only its sha256 is stored, and the database names it (`key_id`). */
export async function issueApiKey(sql: Sql, tenantId: string, label: string | null = null): Promise<IssuedApiKey> {
  const key = `rvk_${randomBytes(24).toString('base64url')}`;
  const [row] = await sql<ApiKeyListing[]>`
    insert into api_keys (key_hash, tenant_id, label) values (${hashApiKey(key)}, ${tenantId}, ${label})
    returning key_id, tenant_id, label, created_at::text, revoked_at::text`;
  return { ...row!, api_key: key };
}
