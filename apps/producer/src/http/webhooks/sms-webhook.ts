/**
 * `POST /webhooks/twilio/:tenantId/sms`: an inbound text (Twilio messaging webhook) starts
 * TWILIO_SMS_WORKFLOW; the MessageSid is the trigger, so Twilio's retries are duplicates. A status
 * callback posted here (a number configured with this URL as its status callback) is recorded as the
 * status route records it and never starts TWILIO_SMS_WORKFLOW: it is no text from a patient.
 */
import { toFieldIssues } from '@revos/envelope';
import type { Context } from 'hono';
import { z } from 'zod';
import type { ProducerDeps } from '../../platform/deps.js';
import { submitAtFrontDoor } from '../../services/front-door.js';
import type { AppEnv } from '../app-env.js';
import { inboundSubject, tenantPrivacyMode } from './inbound-context.js';
import { answerStatusCallback, isStatusCallback } from './status-webhook.js';
import { twilioFormIssues } from './twilio-form.js';
import { readSignedTwilioPost } from './twilio-request.js';

/** Twilio's inbound message fields we use; Twilio sends many more, which are ignored. */
export const TwilioSmsForm = z.looseObject({
  MessageSid: z.string().min(1),
  From: z.string().default(''),
  To: z.string().default(''),
  Body: z.string().default(''),
});

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

export function smsWebhook(c: Context<AppEnv>, deps: ProducerDeps): Promise<Response> {
  const { env } = deps;
  return twilioWebhook(c, deps, (params) => {
    const form = TwilioSmsForm.safeParse(params);
    if (!form.success) return { issues: toFieldIssues(form.error, params) };
    return {
      workflow: env.TWILIO_SMS_WORKFLOW,
      trigger_source: 'sms',
      trigger_id: form.data.MessageSid,
      payload: { message_sid: form.data.MessageSid, from: form.data.From, to: form.data.To, body: form.data.Body },
      subjectAddress: form.data.From,
    };
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
  const post = await readSignedTwilioPost(c, deps, 'twilio');
  if (!post.ok) return post.response;
  const { tenant, form } = post;
  const { env, log } = deps;
  const tenantId = tenant.tenantId;
  const formIssues = twilioFormIssues(form);
  if (formIssues.length > 0) return c.json({ error: 'invalid_body', issues: formIssues }, 400);
  if (isStatusCallback(form)) return answerStatusCallback(c, deps, tenant, form);

  const mapped = map(Object.fromEntries(form));
  if ('issues' in mapped) return c.json({ error: 'invalid_body', issues: mapped.issues }, 400);
  const subject = await inboundSubject(deps.db.sql, deps.privacy, tenantId, mapped.subjectAddress);
  const outcome = await submitAtFrontDoor(
    deps,
    { tenantId, source: 'webhook' },
    {
      kind: 'envelope',
      workflow: mapped.workflow,
      partial: {
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
    },
  );
  if (!outcome.ok) return c.json(outcome.body, outcome.httpStatus);
  // Twilio retries anything but 2xx, so a duplicate is answered exactly like the first delivery;
  // the headers tell operators and tests which it was.
  return c.body(EMPTY_TWIML, 200, {
    'content-type': 'text/xml; charset=utf-8',
    'x-revos-run-id': outcome.body.workflow_run_id,
    'x-revos-status': outcome.body.status,
  });
}
