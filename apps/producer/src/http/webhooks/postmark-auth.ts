/**
 * Postmark signs no webhook: it offers HTTP Basic auth in the webhook URL (and IP allow lists, which
 * change). Each tenant gets its own credentials, derived from POSTMARK_WEBHOOK_SECRET, so one leaked
 * URL opens one tenant's webhooks only and nothing needs storing: user `postmark`, password the first
 * 32 hex digits of HMAC-SHA256(secret, `postmark-webhook:<tenant id>`). Checked before anything else.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const POSTMARK_WEBHOOK_USER = 'postmark';

export function postmarkWebhookPassword(secret: string, tenantId: string): string {
  return createHmac('sha256', secret).update(`postmark-webhook:${tenantId}`).digest('hex').slice(0, 32);
}

/** The URL to give Postmark for a tenant's webhook `kind` (`inbound` or `events`), credentials included. */
export function postmarkWebhookUrl(baseUrl: string, secret: string, tenantId: string, kind: 'inbound' | 'events'): string {
  const url = new URL(`${baseUrl.replace(/\/+$/, '')}/webhooks/postmark/${encodeURIComponent(tenantId)}/${kind}`);
  url.username = POSTMARK_WEBHOOK_USER;
  url.password = postmarkWebhookPassword(secret, tenantId);
  return url.toString();
}

export type PostmarkAuthCheck = { ok: true } | { ok: false; reason: 'not_configured' | 'missing' | 'mismatch' };

export function checkPostmarkBasicAuth(header: string | undefined, secret: string | undefined, tenantId: string): PostmarkAuthCheck {
  if (!secret) return { ok: false, reason: 'not_configured' };
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!match) return { ok: false, reason: 'missing' };
  const given = Buffer.from(Buffer.from(match[1]!, 'base64').toString('utf8'));
  const expected = Buffer.from(`${POSTMARK_WEBHOOK_USER}:${postmarkWebhookPassword(secret, tenantId)}`);
  return given.length === expected.length && timingSafeEqual(given, expected) ? { ok: true } : { ok: false, reason: 'mismatch' };
}
