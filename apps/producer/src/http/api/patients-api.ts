/**
 * The tenant API for patients and staff: `PUT/GET /v1/consents` and `GET /v1/tasks`,
 * `POST /v1/tasks/:id/claim|resolve|reopen`. Authenticated like every `/v1` route (the API key
 * decides the tenant); the handlers are thin: the rules live in services/consents.ts and services/tasks.ts.
 */
import type { Hono } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import { setConsents, showConsents } from '../../services/consents.js';
import { applyTaskAction, listTenantTasks, TaskActionName } from '../../services/tasks.js';
import type { AppEnv } from '../app-env.js';
import { readJsonBody } from '../request-body.js';

export function registerPatientRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  app.put('/v1/consents', async (c) => {
    const body = await readJsonBody(c, 'required');
    if (!body.ok) return body.response;
    const outcome = await setConsents(deps, c.get('tenantId'), body.value, 'api');
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
    // The body is optional: a claim or a reopen may name no actor.
    const body = await readJsonBody(c, 'optional');
    if (!body.ok) return body.response;
    // Who acted is the key; a body's `actor` is only the caller's label for it, stored apart.
    const outcome = await applyTaskAction(deps, c.get('tenantId'), c.req.param('id'), action.data, body.value, `api:${c.get('apiKeyId')}`);
    if (outcome.ok) deps.log.info({ tenant_id: c.get('tenantId'), task_id: outcome.body.task.task_id, action: action.data, changed: outcome.body.changed }, 'task changed');
    return c.json(outcome.body, outcome.status);
  });
}
