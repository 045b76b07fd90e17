/**
 * Postmark's webhooks for a tenant, behind that tenant's Basic auth credentials (postmark-auth.ts):
 * - `POST /webhooks/postmark/:tenantId/inbound`: an inbound email (Postmark's inbound JSON) starts
 *   POSTMARK_INBOUND_WORKFLOW with `trigger_source: "email"` and Postmark's MessageID as trigger id,
 *   so a redelivery is a duplicate. The sender is matched to a known patient by the address's PHI
 *   token. Attachments reach the run as name, type and size only: their contents are dropped here.
 * - `POST /webhooks/postmark/:tenantId/events`: bounce, spam complaint and subscription change
 *   webhooks. A hard bounce, a complaint or a suppression denies email to the address at once.
 * Postmark retries any answer but 200 (and stops at a 403), so a duplicate is answered 200 too.
 */
import { findSubjectByAddress, loadTenant, recordConsentChange, type TenantRecord } from '@revos/db';
import { bareEmailAddress, toFieldIssues } from '@revos/envelope';
import { MAX_ATTACHMENT_BYTES } from '@revos/workflows/manifests';
import type { Context } from 'hono';
import { z } from 'zod';
import type { ProducerDeps } from '../../platform/deps.js';
import { submitAtFrontDoor } from '../../services/front-door.js';
import type { AppEnv } from '../app-env.js';
import { tenantPrivacyMode } from './inbound-context.js';
import { checkPostmarkBasicAuth } from './postmark-auth.js';

/** The fields of Postmark's inbound JSON we use; it sends many more, which are ignored. */
export const PostmarkInbound = z.looseObject({
  MessageID: z.string().min(1),
  From: z.string().default(''),
  FromFull: z.looseObject({ Email: z.string() }).optional(),
  To: z.string().default(''),
  Subject: z.string().default(''),
  TextBody: z.string().default(''),
  StrippedTextReply: z.string().default(''),
  Headers: z.array(z.looseObject({ Name: z.string(), Value: z.string() })).default([]),
  Attachments: z
    .array(z.looseObject({ Name: z.string().default(''), ContentType: z.string().default(''), ContentLength: z.number().int().min(0).default(0) }))
    .default([]),
});

/** Postmark's bounce, spam complaint and subscription change webhooks (one JSON shape each, told apart by RecordType). */
export const PostmarkEvent = z.looseObject({
  RecordType: z.string(),
  /** Bounce: `HardBounce`, `SoftBounce`, `SpamNotification`, ... */
  Type: z.string().optional(),
  Email: z.string().optional(),
  Recipient: z.string().optional(),
  SuppressSending: z.boolean().optional(),
  MessageID: z.string().optional(),
  ID: z.union([z.number(), z.string()]).optional(),
});

/** Bounce types that mean the mailbox will not take mail from us: stop sending to it. */
const DENYING_BOUNCES = new Set(['HardBounce', 'SpamNotification', 'BadEmailAddress', 'ManuallyDeactivated', 'Unsubscribe', 'Blocked']);

const MAX_TEXT = 100_000;
const MAX_LINE = 998;

type AuthedPost = { ok: true; tenant: TenantRecord; json: unknown } | { ok: false; response: Response };

/** Credentials first (403, before the database is asked anything), then the tenant (404), then the JSON (400). */
async function readAuthedPostmarkPost(c: Context<AppEnv>, deps: ProducerDeps, webhook: string): Promise<AuthedPost> {
  const tenantId = c.req.param('tenantId') ?? '';
  const rawBody = await c.req.text();
  const auth = checkPostmarkBasicAuth(c.req.header('authorization'), deps.env.POSTMARK_WEBHOOK_SECRET, tenantId);
  if (!auth.ok) {
    deps.log.warn({ webhook, reason: auth.reason }, 'webhook credentials rejected');
    return { ok: false, response: c.json({ error: 'invalid_credentials' }, 403) };
  }
  const tenant = await loadTenant(deps.db.sql, tenantId);
  if (!tenant) return { ok: false, response: c.json({ error: 'unknown_tenant' }, 404) };
  try {
    return { ok: true, tenant, json: JSON.parse(rawBody) as unknown };
  } catch {
    return { ok: false, response: c.json({ error: 'invalid_json' }, 400) };
  }
}

const headerOf = (headers: { Name: string; Value: string }[], name: string) => headers.find((h) => h.Name.toLowerCase() === name)?.Value;

/** RFC 3834's Auto-Submitted, and the older signs of an automatic email: never answered. */
function isAutomatic(headers: { Name: string; Value: string }[]): boolean {
  const autoSubmitted = headerOf(headers, 'auto-submitted');
  if (autoSubmitted !== undefined && autoSubmitted.trim().toLowerCase() !== 'no') return true;
  const precedence = headerOf(headers, 'precedence')?.trim().toLowerCase();
  return precedence === 'bulk' || precedence === 'junk' || precedence === 'auto_reply' || headerOf(headers, 'x-autoreply') !== undefined;
}

export async function inboundEmailWebhook(c: Context<AppEnv>, deps: ProducerDeps): Promise<Response> {
  const post = await readAuthedPostmarkPost(c, deps, 'postmark_inbound');
  if (!post.ok) return post.response;
  const { tenant, json } = post;
  const parsed = PostmarkInbound.safeParse(json);
  if (!parsed.success) return c.json({ error: 'invalid_body', issues: toFieldIssues(parsed.error, json) }, 400);
  const mail = parsed.data;
  const from = bareEmailAddress(mail.FromFull?.Email ?? mail.From);
  if (!from) return c.json({ error: 'invalid_body', issues: [{ path: 'From', rule: 'email', message: 'must be an email address' }] }, 400);
  const subjectRef = await findSubjectByAddress(deps.db.sql, tenant.tenantId, deps.privacy.redactor.token('email', from));
  const messageIdHeader = headerOf(mail.Headers, 'message-id');
  const payload = {
    message_id: mail.MessageID,
    ...(messageIdHeader ? { message_id_header: messageIdHeader.slice(0, MAX_LINE) } : {}),
    from,
    to: mail.To.slice(0, MAX_LINE),
    subject_line: mail.Subject.slice(0, MAX_LINE),
    // The new words of a reply; an email that is not one has none stripped, so all of it.
    text: (mail.StrippedTextReply.trim() !== '' ? mail.StrippedTextReply : mail.TextBody).slice(0, MAX_TEXT),
    attachments: mail.Attachments.slice(0, 50).map((a) => ({
      attachment_name: a.Name.slice(0, 255),
      content_type: a.ContentType.slice(0, 255),
      size: a.ContentLength,
      too_large: a.ContentLength > MAX_ATTACHMENT_BYTES,
    })),
    auto_submitted: isAutomatic(mail.Headers),
  };
  const workflow = deps.env.POSTMARK_INBOUND_WORKFLOW;
  const outcome = await submitAtFrontDoor(
    deps,
    { tenantId: tenant.tenantId, source: 'webhook' },
    {
      kind: 'envelope',
      workflow,
      partial: {
        meta: {
          workflow_name: workflow,
          trigger_source: 'email',
          trigger_id: mail.MessageID,
          environment: deps.env.ENVIRONMENT,
          privacy_mode: tenantPrivacyMode(tenant, deps.log),
        },
        subject: subjectRef ? { [subjectRef.kind]: subjectRef.id } : {},
        payload,
      },
    },
  );
  if (!outcome.ok) return c.json(outcome.body, outcome.httpStatus);
  return c.json({ workflow_run_id: outcome.body.workflow_run_id, status: outcome.body.status }, 200, {
    'x-revos-run-id': outcome.body.workflow_run_id,
    'x-revos-status': outcome.body.status,
  });
}

export async function emailEventsWebhook(c: Context<AppEnv>, deps: ProducerDeps): Promise<Response> {
  const post = await readAuthedPostmarkPost(c, deps, 'postmark_events');
  if (!post.ok) return post.response;
  const { tenant, json } = post;
  const parsed = PostmarkEvent.safeParse(json);
  if (!parsed.success) return c.json({ error: 'invalid_body', issues: toFieldIssues(parsed.error, json) }, 400);
  const event = parsed.data;
  const decision = denialOf(event);
  if (!decision) return c.json({ recorded: false, record_type: event.RecordType }, 200);
  const address = bareEmailAddress(decision.address);
  if (!address) return c.json({ error: 'invalid_body', issues: [{ path: decision.field, rule: 'email', message: 'must be an email address' }] }, 400);
  const change = await recordConsentChange(deps.db.sql, {
    tenantId: tenant.tenantId,
    target: { kind: 'address', address },
    channel: 'email',
    status: 'deny',
    source: decision.source,
    evidenceRef: event.MessageID ?? (event.ID === undefined ? null : String(event.ID)),
    actor: 'postmark',
    addressRef: deps.privacy.redactor.token('email', address),
    omitEventPayload: tenantPrivacyMode(tenant, deps.log) === 'phi_minimized',
  });
  // Codes only: never the address.
  deps.log.info({ tenant_id: tenant.tenantId, record_type: event.RecordType, source: decision.source, consent_changed: change.changed }, 'email address denied by a provider event');
  return c.json({ recorded: true, consent_changed: change.changed }, 200);
}

/** Which events deny the address, from which field, recorded as which source; null: nothing to do (a soft bounce, a delivery, a resubscribe). */
function denialOf(event: z.infer<typeof PostmarkEvent>): { address: string; field: string; source: string } | null {
  if (event.RecordType === 'Bounce' && event.Type !== undefined && DENYING_BOUNCES.has(event.Type) && event.Email) {
    return { address: event.Email, field: 'Email', source: `postmark_bounce_${event.Type.toLowerCase()}` };
  }
  if (event.RecordType === 'SpamComplaint' && event.Email) return { address: event.Email, field: 'Email', source: 'postmark_spam_complaint' };
  if (event.RecordType === 'SubscriptionChange' && event.SuppressSending === true && event.Recipient) {
    return { address: event.Recipient, field: 'Recipient', source: 'postmark_suppression' };
  }
  return null;
}
