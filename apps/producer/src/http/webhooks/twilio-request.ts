/**
 * Reads a Twilio webhook's signature inputs off the request: the URL as Twilio sent it (raw request
 * target behind PUBLIC_BASE_URL), the signature headers and our secrets. The cryptography is in
 * signatures.ts.
 */
import { loadTenant, type TenantRecord } from '@revos/db';
import type { Context } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import type { ProducerEnv } from '../../platform/env.js';
import { signedUrl, verifyTwilioRequest, type TwilioSignatureCheck } from './signatures.js';

type TwilioSecrets = Pick<ProducerEnv, 'TWILIO_AUTH_TOKEN' | 'TWILIO_WEBHOOK_SHARED_KEY_SECRET' | 'PUBLIC_BASE_URL'>;

/** The request target exactly as it arrived (Node's `req.url`); absent when the app is called without a Node server. */
function rawRequestTarget(c: Context): string | undefined {
  const incoming = (c.env as { incoming?: { url?: string } } | undefined)?.incoming;
  return typeof incoming?.url === 'string' ? incoming.url : undefined;
}

/** Whether `rawBody`, posted to this request's URL, carries a valid Twilio signature. */
export function checkTwilioSignature(c: Context, env: TwilioSecrets, rawBody: string): TwilioSignatureCheck {
  return verifyTwilioRequest({
    url: signedUrl(c.req.url, rawRequestTarget(c), env.PUBLIC_BASE_URL),
    rawBody,
    signature: c.req.header('x-twilio-signature'),
    signatureSettings: c.req.header('x-twilio-webhooks-signature-settings'),
    authToken: env.TWILIO_AUTH_TOKEN,
    sharedKeySecret: env.TWILIO_WEBHOOK_SHARED_KEY_SECRET,
  });
}

/** A Twilio form post whose signature held and whose tenant exists, or the answer already given. */
export type SignedTwilioPost = { ok: true; tenant: TenantRecord; form: URLSearchParams; rawBody: string } | { ok: false; response: Response };

/**
 * The common start of the SMS and status webhooks: the signature first (403, before anything is read
 * from the database, so an unsigned caller learns nothing), then the tenant named in the path (404).
 */
export async function readSignedTwilioPost(c: Context, deps: ProducerDeps, webhook: string): Promise<SignedTwilioPost> {
  const rawBody = await c.req.text();
  const signature = checkTwilioSignature(c, deps.env, rawBody);
  if (!signature.ok) {
    deps.log.warn({ webhook, reason: signature.reason, algorithm: signature.algorithm }, 'webhook signature rejected');
    return { ok: false, response: c.json({ error: 'invalid_signature' }, 403) };
  }
  const tenant = await loadTenant(deps.db.sql, c.req.param('tenantId') ?? '');
  if (!tenant) return { ok: false, response: c.json({ error: 'unknown_tenant' }, 404) };
  return { ok: true, tenant, form: new URLSearchParams(rawBody), rawBody };
}
