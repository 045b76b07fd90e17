import type { Sql } from '../../client.js';
import type { ApiKeyListing } from './listApiKeys.js';

export type RevokeApiKeyResult =
  | { kind: 'revoked'; key: ApiKeyListing }
  /** Revoked before: the first revocation's time stands. */
  | { kind: 'already_revoked'; key: ApiKeyListing }
  | { kind: 'not_found' };

/**
 * Revokes one key of a tenant (by its public id), once: a repeat leaves the first `revoked_at`.
 * The key is refused from the next request on (findLiveApiKey reads it every time).
 */
export async function revokeApiKey(sql: Sql, tenantId: string, keyId: string): Promise<RevokeApiKeyResult> {
  const [row] = await sql<(ApiKeyListing & { changed: boolean })[]>`
    with target as (
      select key_hash, revoked_at is null as live from api_keys where tenant_id = ${tenantId} and key_id = ${keyId} for update
    ), revoked as (
      update api_keys k set revoked_at = now() from target t where k.key_hash = t.key_hash and t.live
      returning k.key_id, k.tenant_id, k.label, k.created_at::text, k.revoked_at::text
    )
    select r.*, true as changed from revoked r
    union all
    select k.key_id, k.tenant_id, k.label, k.created_at::text, k.revoked_at::text, false
      from api_keys k join target t on t.key_hash = k.key_hash where not t.live`;
  if (!row) return { kind: 'not_found' };
  const { changed, ...key } = row;
  return { kind: changed ? 'revoked' : 'already_revoked', key };
}
