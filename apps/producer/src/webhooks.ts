/**
 * Webhooks: no API key; each request is authenticated by its signature, and the tenant comes from
 * the path. The signature is checked before anything else (tenant lookup included), so an
 * unsigned caller learns nothing, not even which tenants exist, and nothing is recorded or enqueued.
 */
import { loadTenant } from '@revos/db';
import { JsonObject, jsonLimitIssues, PrivacyMode, Subject, toFieldIssues, type FieldIssue } from '@revos/envelope';
import type { Context, Hono } from 'hono';
import { z } from 'zod';
import type { AppEnv, ProducerDeps } from './deps.js';
import { inboundSubject, tenantPrivacyMode } from './inbound-context.js';
import { signedUrl, verifyGenericSignature, verifyTwilioSignature } from './signatures.js';
import { countOutcome, logOutcome, submitPartial } from './submit.js';
import { voiceWebhook } from './voice-webhook.js';

/** Twilio's inbound message fields we use; Twilio sends many more, which are ignored. */
export const TwilioSmsForm = z.looseObject({
  MessageSid: z.string().min(1),
  From: z.string().default(''),
  To: z.string().default(''),
  Body: z.string().default(''),
});

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

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export function registerWebhookRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  const { env, log } = deps;

  app.post('/webhooks/twilio/:tenantId/sms', (c) =>
    twilioWebhook(c, deps, (params) => {
      const form = TwilioSmsForm.safeParse(params);
      if (!form.success) return { issues: toFieldIssues(form.error, params) };
      return {
        workflow: env.TWILIO_SMS_WORKFLOW,
        trigger_source: 'sms',
        trigger_id: form.data.MessageSid,
        payload: { message_sid: form.data.MessageSid, from: form.data.From, to: form.data.To, body: form.data.Body },
        subjectAddress: form.data.From,
      };
    }),
  );

  app.post('/webhooks/twilio/:tenantId/voice', (c) => voiceWebhook(c, deps));

  app.post('/webhooks/generic/:tenantId/:workflow', async (c) => {
    const tenantId = c.req.param('tenantId');
    const workflow = c.req.param('workflow');
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
      return c.json({ error: 'invalid_json' }, 400);
    }
    const limits = jsonLimitIssues(json);
    if (limits.length > 0) return c.json({ error: 'invalid_body', issues: limits }, 400);
    const body = GenericWebhookBody.safeParse(json);
    if (!body.success) return c.json({ error: 'invalid_body', issues: toFieldIssues(body.error, json) }, 400);
    const outcome = await submitPartial(
      deps,
      {
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
      tenantId,
      { source: 'webhook' },
    );
    logOutcome(deps.log, outcome, tenantId, workflow, 'webhook');
    countOutcome(deps, outcome, workflow, 'webhook');
    return c.json(outcome.body, outcome.httpStatus);
  });
}

type TwilioMapping =
  | { issues: ReturnType<typeof toFieldIssues> }
  | {
      workflow: string;
      trigger_source: 'sms' | 'voice';
      trigger_id: string;
      payload: Record<string, unknown>;
      /** The sender's number, whose known subject the run is about. */
      subjectAddress?: string;
    };

async function twilioWebhook(c: Context<AppEnv>, deps: ProducerDeps, map: (params: Record<string, string>) => TwilioMapping): Promise<Response> {
  const { env, log } = deps;
  const tenantId = c.req.param('tenantId') ?? '';
  const form = new URLSearchParams(await c.req.text());
  const url = signedUrl(c.req.url, env.PUBLIC_BASE_URL);
  if (!verifyTwilioSignature(env.TWILIO_AUTH_TOKEN, url, form, c.req.header('x-twilio-signature'))) {
    log.warn({ webhook: 'twilio' }, 'webhook signature rejected');
    return c.json({ error: 'invalid_signature' }, 403);
  }
  const tenant = await loadTenant(deps.db.sql, tenantId);
  if (!tenant) return c.json({ error: 'unknown_tenant' }, 404);
  const formIssues = twilioFormIssues(form);
  if (formIssues.length > 0) return c.json({ error: 'invalid_body', issues: formIssues }, 400);

  const mapped = map(Object.fromEntries(form));
  if ('issues' in mapped) return c.json({ error: 'invalid_body', issues: mapped.issues }, 400);
  const subject = await inboundSubject(deps.db.sql, deps.privacy, tenantId, mapped.subjectAddress);
  const outcome = await submitPartial(
    deps,
    {
      meta: {
        workflow_name: mapped.workflow,
        trigger_source: mapped.trigger_source,
        trigger_id: mapped.trigger_id,
        environment: env.ENVIRONMENT,
        privacy_mode: tenantPrivacyMode(tenant, log),
      },
      subject,
      payload: mapped.payload,
    },
    tenantId,
    { source: 'webhook' },
  );
  logOutcome(deps.log, outcome, tenantId, mapped.workflow, 'webhook');
  countOutcome(deps, outcome, mapped.workflow, 'webhook');
  if (!outcome.ok) return c.json(outcome.body, outcome.httpStatus);
  // Twilio retries anything but 2xx, so a duplicate is answered exactly like the first delivery;
  // the headers tell operators and tests which it was.
  return c.body(EMPTY_TWIML, 200, {
    'content-type': 'text/xml; charset=utf-8',
    'x-revos-run-id': outcome.body.workflow_run_id,
    'x-revos-status': outcome.body.status,
  });
}

/** Twilio sends a few dozen fields; far more is not Twilio (and is refused before it is read further). */
export const MAX_TWILIO_FORM_FIELDS = 200;
/** The fields we read: each must appear once, or which value counts would be anyone's guess. */
const SINGLE_VALUED = ['MessageSid', 'CallSid', 'From', 'To', 'Body'];

export function twilioFormIssues(form: URLSearchParams): FieldIssue[] {
  const names = [...form.keys()];
  if (names.length > MAX_TWILIO_FORM_FIELDS) {
    return [{ path: '', rule: 'max_keys', message: `more than ${MAX_TWILIO_FORM_FIELDS} form fields` }];
  }
  return SINGLE_VALUED.filter((name) => form.getAll(name).length > 1).map((name) => ({
    path: name,
    rule: 'repeated_key',
    message: `${name} appears ${form.getAll(name).length} times; it must appear once`,
  }));
}

export { signedUrl } from './signatures.js';
