/**
 * The tenant API: submit runs and explore them. Authenticated by `Authorization: Bearer <api key>`;
 * the tenant always comes from the key, never from the body.
 */
import { tenantForApiKey } from '@revos/db';
import type { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import type { AppEnv, ProducerDeps } from './deps.js';
import { workflowListBody } from './api-description/register.js';
import { countOutcome, logOutcome, submitRequest } from './submit.js';
import { runDetail, runTree } from './views.js';
import { parseWaitMs, waitForRun } from './wait-for-run.js';

export function registerRunRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  const auth = createMiddleware<AppEnv>(async (c, next) => {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header('authorization') ?? '');
    const tenantId = match ? await tenantForApiKey(deps.db.sql, match[1]!) : null;
    if (!tenantId) return c.json({ error: 'unauthorized' }, 401, { 'www-authenticate': 'Bearer' });
    c.set('tenantId', tenantId);
    await next();
  });
  app.use('/v1/*', auth);

  app.post('/v1/runs', async (c) => {
    const tenantId = c.get('tenantId');
    const wait = parseWaitMs(c.req.query('wait_ms'));
    if (!wait.ok) return c.json({ error: 'invalid_query', issues: [wait.issue] }, 400);
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      return c.json({ error: 'invalid_json' }, 400);
    }
    const outcome = await submitRequest(deps, body, tenantId, 'api');
    logOutcome(deps.log, outcome, tenantId, workflowOf(body), 'api');
    countOutcome(deps, outcome, workflowOf(body), 'api');
    if (wait.waitMs !== null && outcome.ok) {
      const waited = await waitForRun(deps, tenantId, outcome.body.workflow_run_id, wait.waitMs);
      return c.json({ ...outcome.body, ...waited }, outcome.httpStatus);
    }
    return c.json(outcome.body, outcome.httpStatus);
  });

  const workflows = workflowListBody(deps);
  app.get('/v1/workflows', (c) => c.json(workflows));

  app.get('/v1/runs/:id', async (c) => {
    const detail = await runDetail(deps.db, c.get('tenantId'), c.req.param('id'));
    return detail ? c.json(detail) : c.json({ error: 'not_found' }, 404);
  });

  app.get('/v1/runs/:id/tree', async (c) => {
    const tree = await runTree(deps.db, c.get('tenantId'), c.req.param('id'));
    return tree ? c.json(tree) : c.json({ error: 'not_found' }, 404);
  });
}

/** The workflow a body names, for the log line only (a string or nothing). */
function workflowOf(body: unknown): string | undefined {
  const meta = typeof body === 'object' && body !== null ? (body as { meta?: unknown }).meta : undefined;
  const name = typeof meta === 'object' && meta !== null ? (meta as { workflow_name?: unknown }).workflow_name : undefined;
  return typeof name === 'string' ? name.slice(0, 80) : undefined;
}
