/**
 * Webhooks: no API key; each request is authenticated by its signature, and the tenant comes from
 * the path. The signature is checked before anything else (tenant lookup included), so an
 * unsigned caller learns nothing, not even which tenants exist, and nothing is recorded or enqueued.
 */
import type { Hono } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import type { AppEnv } from '../app-env.js';
import { emailEventsWebhook, inboundEmailWebhook } from './email-webhook.js';
import { unsubscribeOneClick, unsubscribePage } from './email-unsubscribe.js';
import { genericWebhook } from './generic-webhook.js';
import { smsWebhook } from './sms-webhook.js';
import { statusWebhook } from './status-webhook.js';
import { voiceWebhook } from './voice-webhook.js';

export function registerWebhookRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  app.post('/webhooks/twilio/:tenantId/sms', (c) => smsWebhook(c, deps));
  app.post('/webhooks/twilio/:tenantId/voice', (c) => voiceWebhook(c, deps));
  app.post('/webhooks/twilio/:tenantId/status', (c) => statusWebhook(c, deps));
  app.post('/webhooks/generic/:tenantId/:workflow', (c) => genericWebhook(c, deps));
  // Postmark: Basic auth per tenant (Postmark signs nothing), checked first.
  app.post('/webhooks/postmark/:tenantId/inbound', (c) => inboundEmailWebhook(c, deps));
  app.post('/webhooks/postmark/:tenantId/events', (c) => emailEventsWebhook(c, deps));
  // List-Unsubscribe (RFC 8058): the sealed token is the credential.
  app.get('/unsubscribe/email/:tenantId/:token', (c) => unsubscribePage(c, deps));
  app.post('/unsubscribe/email/:tenantId/:token', (c) => unsubscribeOneClick(c, deps));
}
