/**
 * The tenant API for patients and staff: `PUT/GET /v1/consents` and `GET /v1/tasks`,
 * `POST /v1/tasks/:id/claim|resolve|reopen`. Authenticated like every `/v1` route (the API key
 * decides the tenant); the handlers are thin: the rules live in services/consents.ts and services/tasks.ts.
 */
import type { Context, Hono } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import { setConsents, showConsents } from '../../services/consents.js';
import { applyTaskAction, listTenantTasks, TaskActionName } from '../../services/tasks.js';
import type { AppEnv } from '../app-env.js';

export function registerPatientRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  app.put('/v1/consents', async (c) => {
    const body = await jsonBody(c);
    if (body === INVALID) return c.json({ error: 'invalid_json' }, 400);
    const outcome = await setConsents(deps, c.get('tenantId'), body, 'api');
    if (outcome.ok && 'changed' in outcome.body) {
      deps.log.info({ tenant_id: c.get('tenantId'), changed: outcome.body.changed, source: 'api' }, 'consent set');
    }
    return outcome.ok ? c.json(outcome.body) : c.json(outcome.body, outcome.status);
  });

  app.get('/v1/consents', async (c) => {
    const outcome = await showConsents(deps.db, c.get('tenantId'), { subject: c.req.query('subject'), address: c.req.query('address') });
    return outcome.ok ? c.json(outcome.body) : c.json(outcome.body, outcome.status);
  });

  app.get('/v1/tasks', async (c) => {
    const outcome = await listTenantTasks(deps.db, c.get('tenantId'), { status: c.req.query('status'), limit: c.req.query('limit') });
    return outcome.ok ? c.json(outcome.body) : c.json(outcome.body, outcome.status);
  });

  app.post('/v1/tasks/:id/:action', async (c) => {
    const action = TaskActionName.safeParse(c.req.param('action'));
    if (!action.success) return c.json({ error: 'not_found' }, 404);
    const body = await jsonBody(c);
    if (body === INVALID) return c.json({ error: 'invalid_json' }, 400);
    const outcome = await applyTaskAction(deps, c.get('tenantId'), c.req.param('id'), action.data, body, 'api');
    if (outcome.ok) deps.log.info({ tenant_id: c.get('tenantId'), task_id: outcome.body.task.task_id, action: action.data, changed: outcome.body.changed }, 'task changed');
    return c.json(outcome.body, outcome.status);
  });
}

const INVALID = Symbol('invalid_json');

/** The JSON body, `undefined` for an empty one, or INVALID. */
async function jsonBody(c: Context<AppEnv>): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return INVALID;
  }
}
