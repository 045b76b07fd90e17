/**
 * The tenant's policy over the API, under the tenant's key (the /v1 check of api-key-auth.ts):
 *   GET /v1/policy  → { policy_version, feature_flags_version, ruleset, feature_flags }
 *   PUT /v1/policy  { ruleset | feature_flags, expected_version?, reason?, changed_by? }
 *                   recorded as changed by `api:<key id>`; `changed_by`, the caller's name for its
 *                   user, is kept beside it as `changed_by_label`
 *                   → 202 the WF07_Change_Policy run (200 for a repeat), 400 naming each bad field,
 *                     409 when expected_version is not current
 */
import type { Hono } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import { submitAtFrontDoor } from '../../services/front-door.js';
import { currentPolicy } from '../../services/policy-change.js';
import type { AppEnv } from '../app-env.js';
import { readJsonBody } from '../request-body.js';

/** `changed_by` a caller may pass for its own user (`u_...`, an operator name): a label, never who asked. */
const ACTOR = /^[A-Za-z0-9_.@-]{1,80}$/;

export function registerPolicyRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  app.get('/v1/policy', async (c) => {
    const policy = await currentPolicy(deps.db, c.get('tenantId'));
    return policy ? c.json(policy) : c.json({ error: 'not_found' }, 404);
  });

  app.put('/v1/policy', async (c) => {
    const tenantId = c.get('tenantId');
    const read = await readJsonBody(c, 'required');
    if (!read.ok) return read.response;
    let body = read.value;
    let label: string | undefined;
    if (typeof body === 'object' && body !== null && 'changed_by' in body) {
      const { changed_by: raw, ...rest } = body as Record<string, unknown>;
      if (typeof raw !== 'string' || !ACTOR.test(raw)) {
        return c.json({ error: 'invalid_policy', issues: [{ path: 'changed_by', rule: 'format', message: 'letters, digits and _ . @ - only (1-80)' }] }, 400);
      }
      label = raw;
      body = rest;
    }
    const outcome = await submitAtFrontDoor(deps, { tenantId, source: 'api' }, { kind: 'policy_change', body, changedBy: `api:${c.get('apiKeyId')}`, ...(label === undefined ? {} : { changedByLabel: label }) });
    return c.json(outcome.body, outcome.httpStatus);
  });
}
