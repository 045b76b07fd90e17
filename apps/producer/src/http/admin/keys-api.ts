/**
 * A tenant's API keys for an operator, behind the admin login and the admin write guard (admin.ts
 * mounts both before every /admin route):
 *   GET  /admin/api/tenants/:tenant_id/keys                  → { tenant_id, keys: [{ key_id, label, created_at, revoked_at }] }
 *   POST /admin/api/tenants/:tenant_id/keys  { label? }      → 201 { key_id, api_key, ... }: the key, shown this once
 *   POST /admin/api/tenants/:tenant_id/keys/:key_id/revoke   → { key, changed }: refused by every replica from the next request on
 * Thin: the rules are services/api-keys.ts, shared with `revos tenants keys`.
 */
import type { Hono } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import { createTenantKey, listTenantKeys, revokeTenantKey } from '../../services/api-keys.js';
import type { AppEnv } from '../app-env.js';
import { readJsonBody } from '../request-body.js';

export function registerKeyRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  app.get('/admin/api/tenants/:tenant_id/keys', async (c) => {
    const outcome = await listTenantKeys(deps.db, c.req.param('tenant_id'));
    return outcome.ok ? c.json(outcome.body) : c.json(outcome.body, outcome.status);
  });

  app.post('/admin/api/tenants/:tenant_id/keys', async (c) => {
    const body = await readJsonBody(c, 'optional');
    if (!body.ok) return body.response;
    const fields = body.value;
    if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
      return c.json({ error: 'invalid_body', issues: [{ path: '', rule: 'type:object', message: 'the body is a JSON object: { "label"?: string }' }] }, 400);
    }
    const unknown = Object.keys(fields).filter((k) => k !== 'label');
    if (unknown.length > 0) return c.json({ error: 'invalid_body', issues: unknown.map((k) => ({ path: k, rule: 'unknown_key', message: `${k} is not a field of this body (label only)` })) }, 400);
    const label = (fields as Record<string, unknown>)['label'];
    const tenantId = c.req.param('tenant_id');
    const outcome = await createTenantKey(deps.db, tenantId, label);
    if (!outcome.ok) return c.json(outcome.body, outcome.status);
    deps.log.info({ tenant_id: tenantId, key_id: outcome.body.key_id, by: `admin:${c.get('admin').user}` }, 'api key created');
    return c.json(outcome.body, 201);
  });

  app.post('/admin/api/tenants/:tenant_id/keys/:key_id/revoke', async (c) => {
    const tenantId = c.req.param('tenant_id');
    const outcome = await revokeTenantKey(deps.db, tenantId, c.req.param('key_id'));
    if (!outcome.ok) return c.json(outcome.body, outcome.status);
    deps.log.info({ tenant_id: tenantId, key_id: outcome.body.key.key_id, changed: outcome.body.changed, by: `admin:${c.get('admin').user}` }, 'api key revoked');
    return c.json(outcome.body);
  });
}
