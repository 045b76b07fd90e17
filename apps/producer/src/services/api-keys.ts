/**
 * A tenant's API keys, shared by `revos tenants keys` and the operator's `/admin/api/tenants/:id/keys`
 * so they cannot disagree: list (public ids and state, never a key), create (the key shown once, stored
 * as sha256) and revoke. A revoked key is refused from the next request on, on every replica: the
 * /v1 check reads the key's row on every request (findLiveApiKey), nothing caches it.
 */
import { issueApiKey, listApiKeys, loadTenant, revokeApiKey, type ApiKeyListing, type Db, type IssuedApiKey } from '@revos/db';
import type { FieldIssue } from '@revos/envelope';
import { API_KEY_TIMES, withRfc3339 } from './timestamps.js';

/** What a key's label may hold: it is shown in lists, so printable words only. */
const LABEL = /^[A-Za-z0-9 _.:@-]{1,80}$/;
/** The public id the database draws (`key_` and 32 hex digits). */
const KEY_ID = /^key_[0-9a-f]{32}$/;

type Refusal = { ok: false; status: 400 | 404; body: { error: string; message?: string; issues?: FieldIssue[] } };

const unknownTenant = (tenantId: string): Refusal => ({ ok: false, status: 404, body: { error: 'unknown_tenant', message: `tenant ${tenantId} is not configured` } });

export async function listTenantKeys(db: Db, tenantId: string): Promise<{ ok: true; body: { tenant_id: string; keys: ApiKeyListing[] } } | Refusal> {
  if (!(await loadTenant(db.sql, tenantId))) return unknownTenant(tenantId);
  return { ok: true, body: { tenant_id: tenantId, keys: (await listApiKeys(db.sql, tenantId)).map((k) => withRfc3339(k, API_KEY_TIMES)) } };
}

/** A new key for an existing tenant; `label` says what it is for (`billing-integration`). */
export async function createTenantKey(db: Db, tenantId: string, label: unknown): Promise<{ ok: true; body: IssuedApiKey } | Refusal> {
  if (label !== undefined && label !== null && (typeof label !== 'string' || !LABEL.test(label))) {
    return { ok: false, status: 400, body: { error: 'invalid_body', issues: [{ path: 'label', rule: 'format', message: 'label: letters, digits, spaces and _ . : @ - only (1-80)' }] } };
  }
  if (!(await loadTenant(db.sql, tenantId))) return unknownTenant(tenantId);
  return { ok: true, body: withRfc3339(await issueApiKey(db.sql, tenantId, typeof label === 'string' ? label : null), API_KEY_TIMES) };
}

/** Revokes one key; revoking it again answers as done (`changed: false`) with the first revocation's time. */
export async function revokeTenantKey(db: Db, tenantId: string, keyId: string): Promise<{ ok: true; body: { key: ApiKeyListing; changed: boolean } } | Refusal> {
  if (!KEY_ID.test(keyId)) return { ok: false, status: 400, body: { error: 'invalid_key_id', issues: [{ path: 'key_id', rule: 'format', message: 'a key id is key_ followed by 32 hex digits (see the key list)' }] } };
  const result = await revokeApiKey(db.sql, tenantId, keyId);
  if (result.kind === 'not_found') return { ok: false, status: 404, body: { error: 'not_found', message: `tenant ${tenantId} has no key ${keyId}` } };
  return { ok: true, body: { key: withRfc3339(result.key, API_KEY_TIMES), changed: result.kind === 'revoked' } };
}
