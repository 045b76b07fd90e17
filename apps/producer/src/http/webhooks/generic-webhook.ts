/**
 * `POST /webhooks/generic/:tenantId/:workflow`: a signed JSON webhook (X-Revos-Signature over the
 * timestamp, path and raw body) that starts a run of the workflow the path names.
 */
import { loadTenant } from '@revos/db';
import { JsonObject, jsonLimitIssues, PrivacyMode, Subject, toFieldIssues } from '@revos/envelope';
import type { Context } from 'hono';
import { z } from 'zod';
import type { ProducerDeps } from '../../platform/deps.js';
import { submitAtFrontDoor } from '../../services/front-door.js';
import type { AppEnv } from '../app-env.js';
import { invalidJson } from '../request-body.js';
import { tenantPrivacyMode } from './inbound-context.js';
import { verifyGenericSignature } from './signatures.js';

/** A generic webhook's JSON body. */
export const GenericWebhookBody = z
  .object({
    trigger_id: z.string(),
    payload: JsonObject,
    subject: Subject.optional(),
    privacy_mode: PrivacyMode.optional(),
  })
  .strict();
export type GenericWebhookBody = z.infer<typeof GenericWebhookBody>;

export async function genericWebhook(c: Context<AppEnv>, deps: ProducerDeps): Promise<Response> {
  const { env, log } = deps;
  const tenantId = c.req.param('tenantId') ?? '';
  const workflow = c.req.param('workflow') ?? '';
  // The HMAC covers the bytes as received: read the raw body once, parse it only after.
  const rawBody = await c.req.text();
  const check = verifyGenericSignature({
    secret: env.WEBHOOK_SIGNING_SECRET,
    timestamp: c.req.header('x-revos-timestamp'),
    signature: c.req.header('x-revos-signature'),
    path: c.req.path,
    rawBody,
    toleranceS: env.WEBHOOK_TOLERANCE_S,
  });
  if (!check.ok) {
    log.warn({ webhook: 'generic', reason: check.reason }, 'webhook signature rejected');
    return c.json({ error: 'invalid_signature' }, 403);
  }
  const tenant = await loadTenant(deps.db.sql, tenantId);
  if (!tenant) return c.json({ error: 'unknown_tenant' }, 404);
  if (!deps.catalog.has(workflow)) {
    return c.json({ error: 'unknown_workflow', issues: [{ path: 'workflow', rule: 'unknown_workflow', message: `${workflow} is not registered` }] }, 404);
  }
  let json: unknown;
  try {
    json = JSON.parse(rawBody);
  } catch {
    return invalidJson(c);
  }
  const limits = jsonLimitIssues(json);
  if (limits.length > 0) return c.json({ error: 'invalid_body', issues: limits }, 400);
  const body = GenericWebhookBody.safeParse(json);
  if (!body.success) return c.json({ error: 'invalid_body', issues: toFieldIssues(body.error, json) }, 400);
  const outcome = await submitAtFrontDoor(
    deps,
    { tenantId, source: 'webhook' },
    {
      kind: 'envelope',
      workflow,
      partial: {
        meta: {
          workflow_name: workflow,
          trigger_source: 'webhook',
          trigger_id: body.data.trigger_id,
          environment: env.ENVIRONMENT,
          privacy_mode: body.data.privacy_mode ?? tenantPrivacyMode(tenant, log),
        },
        subject: body.data.subject ?? {},
        payload: body.data.payload,
      },
    },
  );
  return c.json(outcome.body, outcome.httpStatus);
}
