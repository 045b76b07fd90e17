/**
 * The producer's HTTP app: health, the tenant API and the webhooks. Built from its dependencies
 * only (no I/O at construction), so tests and the process assemble it the same way.
 */
import { Hono } from 'hono';
import type { ProducerDeps } from '../platform/deps.js';
import { registerAdminRoutes } from './admin/admin.js';
import { requireApiKey } from './api/api-key-auth.js';
import { registerPatientRoutes } from './api/patients-api.js';
import { registerPolicyRoutes } from './api/policy-api.js';
import { registerRunRoutes } from './api/runs-api.js';
import type { AppEnv } from './app-env.js';
import { PUBLIC_DESCRIPTION_PATHS, registerDescriptionRoutes } from './openapi/register.js';
import { limitBody } from './request-body.js';
import { registerWebhookRoutes } from './webhooks/routes.js';

export { MAX_BODY_BYTES } from './request-body.js';
const HEALTH_TIMEOUT_MS = 2_000;

export function createProducerApp(deps: ProducerDeps): Hono<AppEnv> {
  const { db, redis, log } = deps;
  const app = new Hono<AppEnv>();

  // Before every route: an oversized body is a 413 that closes its connection cleanly (request-body.ts).
  app.use(limitBody());

  app.get('/healthz', async (c) => {
    try {
      await withTimeout(Promise.all([db.sql`select 1`, redis.ping()]), HEALTH_TIMEOUT_MS);
      return c.json({ status: 'ok' });
    } catch (error) {
      log.warn({ err: error }, 'health check failed');
      return c.json({ status: 'unavailable' }, 503);
    }
  });

  // One API key check for the whole /v1 tree, before any /v1 route: only the description is public.
  app.use('/v1/*', requireApiKey(deps, PUBLIC_DESCRIPTION_PATHS));
  registerDescriptionRoutes(app, deps);
  registerRunRoutes(app, deps);
  registerPolicyRoutes(app, deps);
  registerPatientRoutes(app, deps);
  registerWebhookRoutes(app, deps);
  registerAdminRoutes(app, deps);

  app.notFound((c) => c.json({ error: 'not_found' }, 404));
  // Bodies are never logged (they carry PHI): the route and the error (the logger's `err` serializer).
  app.onError((error, c) => {
    log.error({ err: error, method: c.req.method, route: c.req.routePath }, 'request failed');
    return c.json({ error: 'internal' }, 500);
  });
  return app;
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
