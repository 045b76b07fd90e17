/**
 * `/unsubscribe/email/:tenantId/:token`, the List-Unsubscribe link of every email that is not
 * transactional. `POST` is RFC 8058's one-click unsubscribe (the mail client posts
 * `List-Unsubscribe=One-Click`): the address the token seals is denied email at once, for every
 * subject of the tenant. `GET` (a person following the link in the text) only shows a button that
 * posts: RFC 8058 asks that a GET change nothing, because mail scanners fetch links.
 * The token is opened before the database is asked anything; a bad one learns nothing.
 */
import { loadTenant, recordConsentChange } from '@revos/db';
import { openUnsubscribeToken } from '@revos/envelope';
import type { Context } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import type { AppEnv } from '../app-env.js';
import { tenantPrivacyMode } from './inbound-context.js';

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${title}</title></head><body><main><h1>${title}</h1>${body}</main></body></html>`;

const HTML = { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' };

/** The token's address for the path's tenant, or null (the secret is the PHI token key the workers seal with). */
function addressOf(c: Context<AppEnv>, deps: ProducerDeps): string | null {
  return openUnsubscribeToken(deps.env.PHI_TOKEN_KEY, c.req.param('tenantId') ?? '', c.req.param('token') ?? '');
}

export function unsubscribePage(c: Context<AppEnv>, deps: ProducerDeps): Response {
  if (!addressOf(c, deps)) return c.body(page('Link not valid', '<p>This unsubscribe link is not valid.</p>'), 404, HTML);
  // The form posts back to this very URL, as a one-click client would.
  return c.body(
    page('Unsubscribe', '<p>Stop receiving these emails?</p><form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click"><button type="submit">Unsubscribe</button></form>'),
    200,
    HTML,
  );
}

export async function unsubscribeOneClick(c: Context<AppEnv>, deps: ProducerDeps): Promise<Response> {
  // RFC 8058's body (`List-Unsubscribe=One-Click`) is read and not required: the sealed token is the proof.
  await c.req.text();
  const address = addressOf(c, deps);
  if (!address) {
    deps.log.warn({ route: 'email_unsubscribe', reason: 'invalid_token' }, 'unsubscribe token rejected');
    return c.body(page('Link not valid', '<p>This unsubscribe link is not valid.</p>'), 404, HTML);
  }
  const tenant = await loadTenant(deps.db.sql, c.req.param('tenantId') ?? '');
  if (!tenant) return c.body(page('Link not valid', '<p>This unsubscribe link is not valid.</p>'), 404, HTML);
  const change = await recordConsentChange(deps.db.sql, {
    tenantId: tenant.tenantId,
    target: { kind: 'address', address },
    channel: 'email',
    status: 'deny',
    source: 'list_unsubscribe',
    actor: 'patient',
    addressRef: deps.privacy.redactor.token('email', address),
    omitEventPayload: tenantPrivacyMode(tenant, deps.log) === 'phi_minimized',
  });
  deps.log.info({ tenant_id: tenant.tenantId, consent_changed: change.changed }, 'email address unsubscribed (one-click)');
  return c.body(page('You are unsubscribed', '<p>You will receive no more of these emails.</p>'), 200, HTML);
}
