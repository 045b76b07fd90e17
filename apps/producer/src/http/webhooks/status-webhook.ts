/**
 * `POST /webhooks/twilio/:tenantId/status`: Twilio's status callbacks of the texts and calls the
 * workers make (their `StatusCallback`). Signed like every Twilio webhook (403 without a valid
 * X-Twilio-Signature, before anything is read); a form without the sid or the status is 400 naming
 * the field. Each (sid, status) runs WF33_Delivery_Status once (services/delivery-status.ts).
 * The SMS webhook hands status-callback-shaped posts here too, so none ever starts WF31.
 */
import type { TenantRecord } from '@revos/db';
import { toFieldIssues } from '@revos/envelope';
import { WF33Payload } from '@revos/workflows/manifests';
import type { Context } from 'hono';
import { z } from 'zod';
import type { ProducerDeps } from '../../platform/deps.js';
import { submitDeliveryStatus, type StatusCallback } from '../../services/delivery-status.js';
import type { AppEnv } from '../app-env.js';
import { tenantPrivacyMode } from './inbound-context.js';
import { twilioFormIssues } from './twilio-form.js';
import { readSignedTwilioPost } from './twilio-request.js';

const { sid: Sid, status: Status } = WF33Payload.shape;
/** Twilio leaves ErrorCode out (or empty) when there is no error. */
const ErrorCode = z
  .string()
  .regex(/^\d{0,6}$/, 'a Twilio error code: up to 6 digits')
  .optional()
  .transform((code) => (code ? code : null));

/** A message's status callback (`SmsSid`/`SmsStatus` are Twilio's older names of the same fields). */
const MessageStatusForm = z.looseObject({ MessageSid: Sid, MessageStatus: Status, ErrorCode });
/** A call's status callback. */
const CallStatusForm = z.looseObject({ CallSid: Sid, CallStatus: Status, ErrorCode });

/** The form as the API description shows it: a message's fields or a call's, ErrorCode on failure. */
export const TwilioStatusForm = z.looseObject({
  MessageSid: Sid.optional().describe('A text\'s sid (SM…); SmsSid is accepted too'),
  MessageStatus: Status.optional().describe('queued, sending, sent, delivered, undelivered, failed, …; SmsStatus is accepted too'),
  CallSid: Sid.optional().describe('A call\'s sid (CA…), when the callback is about a call'),
  CallStatus: Status.optional().describe('queued, ringing, in-progress, completed, busy, no-answer, failed, canceled'),
  ErrorCode: z.string().optional().describe('Twilio\'s error code on undelivered or failed (30003, 30007, …)'),
});

const EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response></Response>';

/**
 * Whether a post to the SMS webhook is a status callback rather than an inbound text: a status is
 * named and there is no Body, or SmsStatus is anything but `received` (an inbound text's).
 */
export function isStatusCallback(form: URLSearchParams): boolean {
  if (form.has('MessageStatus') && !form.has('Body')) return true;
  const smsStatus = form.get('SmsStatus');
  return smsStatus !== null && smsStatus !== 'received';
}

export async function statusWebhook(c: Context<AppEnv>, deps: ProducerDeps): Promise<Response> {
  const post = await readSignedTwilioPost(c, deps, 'twilio_status');
  if (!post.ok) return post.response;
  return answerStatusCallback(c, deps, post.tenant, post.form);
}

/** Reads a verified status callback of `tenant` and records it; shared with the SMS webhook. */
export async function answerStatusCallback(c: Context<AppEnv>, deps: ProducerDeps, tenant: TenantRecord, form: URLSearchParams): Promise<Response> {
  const formIssues = twilioFormIssues(form);
  if (formIssues.length > 0) return c.json({ error: 'invalid_body', issues: formIssues }, 400);
  const read = readStatusCallback(form);
  if ('issues' in read) return c.json({ error: 'invalid_body', issues: read.issues }, 400);
  const outcome = await submitDeliveryStatus(deps, tenant, read, tenantPrivacyMode(tenant, deps.log));
  if (!outcome.ok) return c.json(outcome.body, outcome.httpStatus);
  // Twilio retries what is not 2xx: a duplicate is answered like the first; the headers say which it was.
  return c.body(EMPTY_TWIML, 200, {
    'content-type': 'text/xml; charset=utf-8',
    'x-revos-run-id': outcome.body.workflow_run_id,
    'x-revos-status': outcome.body.status,
  });
}

function readStatusCallback(form: URLSearchParams): StatusCallback | { issues: ReturnType<typeof toFieldIssues> } {
  const raw = Object.fromEntries(form);
  if (raw['MessageSid'] === undefined && raw['SmsSid'] !== undefined) raw['MessageSid'] = raw['SmsSid'];
  if (raw['MessageStatus'] === undefined && raw['SmsStatus'] !== undefined) raw['MessageStatus'] = raw['SmsStatus'];
  if (raw['CallSid'] !== undefined && raw['MessageSid'] === undefined) {
    const call = CallStatusForm.safeParse(raw);
    if (!call.success) return { issues: toFieldIssues(call.error, raw) };
    return { channel: 'voice', sid: call.data.CallSid, status: call.data.CallStatus, errorCode: call.data.ErrorCode };
  }
  const message = MessageStatusForm.safeParse(raw);
  if (!message.success) return { issues: toFieldIssues(message.error, raw) };
  return { channel: 'sms', sid: message.data.MessageSid, status: message.data.MessageStatus, errorCode: message.data.ErrorCode };
}
