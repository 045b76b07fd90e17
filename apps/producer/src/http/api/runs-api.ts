/**
 * The tenant API: submit runs and explore them. Behind the /v1 API key check (api-key-auth.ts,
 * mounted once in http/app.ts); the tenant always comes from the key, never from the body.
 */
import type { Hono } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import { submitAtFrontDoor } from '../../services/front-door.js';
import { runDetail, runTree } from '../../services/views.js';
import { parseWaitMs, waitForRun } from '../../services/wait-for-run.js';
import type { AppEnv } from '../app-env.js';
import { workflowListBody } from '../openapi/register.js';
import { readJsonBody } from '../request-body.js';

export function registerRunRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  app.post('/v1/runs', async (c) => {
    const tenantId = c.get('tenantId');
    const wait = parseWaitMs(c.req.query('wait_ms'));
    if (!wait.ok) return c.json({ error: 'invalid_query', issues: [wait.issue] }, 400);
    const body = await readJsonBody(c, 'required');
    if (!body.ok) return body.response;
    const outcome = await submitAtFrontDoor(deps, { tenantId, source: 'api' }, { kind: 'request', body: body.value });
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
