import { postmarkWebhookUrl } from '../http/webhooks/postmark-auth.js';
import { allowOnly, positional, tenantIdArgument, type Parsed } from './args.js';
import { subcommand, type CommandContext, type CommandGroup } from './command.js';
import { ConfigRefused } from './errors.js';

/**
 * `revos email webhook-urls <tenant_id>`: the URLs to give Postmark for a tenant's inbound email and
 * its bounce / spam complaint / subscription change events, each carrying the tenant's Basic auth
 * credentials (derived from POSTMARK_WEBHOOK_SECRET; nothing is stored). Treat them as secrets.
 */
async function webhookUrls(args: Parsed, { env, out }: CommandContext): Promise<void> {
  const command = 'email webhook-urls';
  allowOnly(args, command, []);
  const tenantId = tenantIdArgument(positional(args, 2, '<tenant_id>', command, 3), '<tenant_id>', command);
  if (!env.PUBLIC_BASE_URL) throw new ConfigRefused(`${command}: PUBLIC_BASE_URL must be set (the address Postmark posts to)`);
  if (!env.POSTMARK_WEBHOOK_SECRET) throw new ConfigRefused(`${command}: POSTMARK_WEBHOOK_SECRET must be set (the tenants' webhook credentials derive from it)`);
  const inbound = postmarkWebhookUrl(env.PUBLIC_BASE_URL, env.POSTMARK_WEBHOOK_SECRET, tenantId, 'inbound');
  const events = postmarkWebhookUrl(env.PUBLIC_BASE_URL, env.POSTMARK_WEBHOOK_SECRET, tenantId, 'events');
  if (args.json) return out(JSON.stringify({ tenant_id: tenantId, inbound, events }));
  out(`inbound: ${inbound}\nevents:  ${events}\n(secrets: anyone holding one can post to this tenant's webhook)`);
}

export const email: CommandGroup = {
  name: 'email',
  usage: '  revos email webhook-urls <tenant_id> [--json]',
  async run(args, ctx) {
    subcommand(args, 'email', ['webhook-urls']);
    return webhookUrls(args, ctx);
  },
};
