/**
 * The tenant API key check of the whole /v1 tree, mounted once (http/app.ts): `Authorization:
 * Bearer <api key>` decides the tenant and who acted (`api:<key id>`), never the body. The paths in `publicPaths` (GET, and so
 * HEAD) pass without a key; every other /v1 request without a known key answers 401.
 */
import { findLiveApiKey } from '@revos/db';
import { createMiddleware } from 'hono/factory';
import type { MiddlewareHandler } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import { bearerToken } from '../../security/credentials.js';
import type { AppEnv } from '../app-env.js';

export function requireApiKey(deps: Pick<ProducerDeps, 'db'>, publicPaths: readonly string[]): MiddlewareHandler<AppEnv> {
  const open = new Set(publicPaths);
  return createMiddleware<AppEnv>(async (c, next) => {
    if ((c.req.method === 'GET' || c.req.method === 'HEAD') && open.has(c.req.path)) return next();
    const token = bearerToken(c.req.header('authorization'));
    // Looked up on every request, never cached: a revoked key is refused at once by every replica.
    const key = token ? await findLiveApiKey(deps.db.sql, token) : null;
    if (!key) return c.json({ error: 'unauthorized' }, 401, { 'www-authenticate': 'Bearer' });
    c.set('tenantId', key.tenantId);
    c.set('apiKeyId', key.keyId);
    await next();
  });
}
