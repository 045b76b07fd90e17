import { createApiKey, loadTenant, upsertTenant } from '@revos/db';
import { checkTenantRetentionConfig, InvalidRetentionConfigError } from '@revos/runtime';
import { allowOnly, positional, readJsonFile, tenantIdArgument, type Parsed } from './args.js';
import { CommandFailed, UsageError } from './errors.js';
import { subcommand, type CommandContext, type CommandGroup } from './command.js';

/** `revos tenants create`: a tenant (or its new settings) and a fresh API key, shown once. */
async function tenantsCreate(args: Parsed, { session, out }: CommandContext): Promise<void> {
  const command = 'tenants create';
  allowOnly(args, command, ['name', 'config']);
  const tenantId = tenantIdArgument(positional(args, 2, '<tenant_id>', command, 3), '<tenant_id>', command);
  if (args.name !== undefined && args.name.trim() === '') throw new UsageError(`${command}: --name must not be empty`);
  let config: Record<string, unknown> | undefined;
  if (args.config !== undefined) {
    const parsed = await readJsonFile(args.config, '--config');
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new CommandFailed(`--config ${args.config}: must hold a JSON object`);
    config = parsed as Record<string, unknown>;
    try {
      checkTenantRetentionConfig(tenantId, config);
    } catch (error) {
      if (error instanceof InvalidRetentionConfigError) throw new CommandFailed(`--config ${args.config}: ${error.issues.join('; ')}`);
      throw error;
    }
  }
  const db = await session.db();
  const existing = await loadTenant(db.sql, tenantId);
  // Re-running create on an existing tenant issues another key; it keeps the tenant's settings
  // unless they are given again.
  await upsertTenant(db.sql, {
    tenantId,
    name: args.name ?? existing?.name ?? tenantId,
    entitlements: existing?.entitlements ?? { workflows: '*' },
    config: config ?? existing?.config ?? {},
    policyVersion: existing?.policyVersion ?? null,
    featureFlagsVersion: existing?.featureFlagsVersion ?? null,
  });
  const apiKey = await createApiKey(db.sql, tenantId, 'revos-cli');
  if (args.json) out(JSON.stringify({ tenant_id: tenantId, api_key: apiKey }));
  else out(`tenant ${tenantId} ${existing ? 'updated' : 'created'}\napi key: ${apiKey}\n(store it now: it is not shown again)`);
}

export const tenants: CommandGroup = {
  name: 'tenants',
  usage: `  revos tenants create <tenant_id> [--name <name>] [--config <file.json>] [--json]`,
  async run(args, ctx) {
    subcommand(args, 'tenants', ['create']);
    await tenantsCreate(args, ctx);
  },
};
