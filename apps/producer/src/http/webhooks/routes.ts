/**
 * Webhooks: no API key; each request is authenticated by its signature, and the tenant comes from
 * the path. The signature is checked before anything else (tenant lookup included), so an
 * unsigned caller learns nothing, not even which tenants exist, and nothing is recorded or enqueued.
 */
import type { Hono } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import type { AppEnv } from '../app-env.js';
import { genericWebhook } from './generic-webhook.js';
import { smsWebhook } from './sms-webhook.js';
import { statusWebhook } from './status-webhook.js';
import { voiceWebhook } from './voice-webhook.js';

export function registerWebhookRoutes(app: Hono<AppEnv>, deps: ProducerDeps): void {
  app.post('/webhooks/twilio/:tenantId/sms', (c) => smsWebhook(c, deps));
  app.post('/webhooks/twilio/:tenantId/voice', (c) => voiceWebhook(c, deps));
  app.post('/webhooks/twilio/:tenantId/status', (c) => statusWebhook(c, deps));
  app.post('/webhooks/generic/:tenantId/:workflow', (c) => genericWebhook(c, deps));
}
