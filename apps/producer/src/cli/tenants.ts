import { issueApiKey, loadTenant, upsertTenant, type ApiKeyListing } from '@revos/db';
import { checkTenantConfig } from '@revos/envelope';
import { createTenantKey, listTenantKeys, revokeTenantKey } from '../services/api-keys.js';
import { allowOnly, noMorePositionals, positional, readJsonFile, tenantIdArgument, type Parsed } from './args.js';
import { CommandFailed, ConfigRefused, UsageError } from './errors.js';
import { subcommand, type CommandContext, type CommandGroup } from './command.js';
import { dash, table } from './format.js';

/**
 * `revos tenants create`: a tenant and its first API key, shown once. On an existing tenant it updates
 * the settings given and issues no key unless `--new-key` asks for one (keys are managed with
 * `revos tenants keys`).
 */
async function tenantsCreate(args: Parsed, { session, out }: CommandContext): Promise<void> {
  const command = 'tenants create';
  allowOnly(args, command, ['name', 'config', 'newKey']);
  const tenantId = tenantIdArgument(positional(args, 2, '<tenant_id>', command, 3), '<tenant_id>', command);
  if (args.name !== undefined && args.name.trim() === '') throw new UsageError(`${command}: --name must not be empty`);
  let config: Record<string, unknown> | undefined;
  if (args.config !== undefined) {
    // The workflows this CLI accepts (a deployment's own too) may name keys of their own in requiresConfig.
    const ownKeys = session.catalog().list().flatMap((m) => m.requiresConfig);
    const checked = checkTenantConfig(await readJsonFile(args.config, '--config'), ownKeys);
    if (!checked.ok) throw new ConfigRefused(`--config ${args.config}: ${checked.issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    config = checked.value;
  }
  const db = await session.db();
  const existing = await loadTenant(db.sql, tenantId);
  // Re-running create on an existing tenant keeps its settings unless they are given again.
  await upsertTenant(db.sql, {
    tenantId,
    name: args.name ?? existing?.name ?? tenantId,
    entitlements: existing?.entitlements ?? { workflows: '*' },
    config: config ?? existing?.config ?? {},
    policyVersion: existing?.policyVersion ?? null,
    featureFlagsVersion: existing?.featureFlagsVersion ?? null,
  });
  const key = existing && !args.newKey ? null : await issueApiKey(db.sql, tenantId, 'revos-cli');
  if (args.json) {
    out(JSON.stringify({ tenant_id: tenantId, created: !existing, ...(key ? { key_id: key.key_id, api_key: key.api_key } : { api_key: null }) }));
  } else if (key) {
    out(`tenant ${tenantId} ${existing ? 'updated' : 'created'}\napi key: ${key.api_key}\nkey id: ${key.key_id}\n(store it now: it is not shown again)`);
  } else {
    out(`tenant ${tenantId} updated; no new API key issued (its keys are unchanged: --new-key issues one, revos tenants keys list|revoke manages them)`);
  }
}

function keyRows(keys: ApiKeyListing[]): string {
  return table([['KEY_ID', 'STATE', 'LABEL', 'CREATED_AT', 'REVOKED_AT'], ...keys.map((k) => [k.key_id, k.revoked_at ? 'revoked' : 'live', dash(k.label), k.created_at, dash(k.revoked_at)])]);
}

/** `revos tenants keys list|create|revoke <tenant_id> [<key_id>]`: the same service as /admin/api/tenants/:id/keys. */
async function tenantsKeys(args: Parsed, { session, out }: CommandContext): Promise<void> {
  const sub = args.positionals[2];
  if (sub !== 'list' && sub !== 'create' && sub !== 'revoke') {
    throw new UsageError(sub === undefined ? 'tenants keys: missing subcommand list|create|revoke' : `tenants keys: unknown subcommand ${JSON.stringify(sub)} (list, create, revoke)`);
  }
  const command = `tenants keys ${sub}`;
  allowOnly(args, command, sub === 'create' ? ['label'] : []);
  const tenantId = tenantIdArgument(positional(args, 3, '<tenant_id>', command, sub === 'revoke' ? 5 : 4), '<tenant_id>', command);
  const db = await session.db();
  if (sub === 'list') {
    noMorePositionals(args, command, 4);
    const outcome = await listTenantKeys(db, tenantId);
    if (!outcome.ok) throw new CommandFailed(`${command}: ${outcome.body.message ?? outcome.body.error}`, outcome.body);
    if (args.json) return out(JSON.stringify(outcome.body));
    return out(outcome.body.keys.length === 0 ? `tenant ${tenantId} has no API keys` : keyRows(outcome.body.keys));
  }
  if (sub === 'create') {
    const outcome = await createTenantKey(db, tenantId, args.label);
    if (!outcome.ok) {
      if (outcome.status === 400) throw new UsageError(`${command}: ${outcome.body.issues?.map((i) => i.message).join('; ')}`);
      throw new CommandFailed(`${command}: ${outcome.body.message ?? outcome.body.error}`, outcome.body);
    }
    if (args.json) return out(JSON.stringify(outcome.body));
    return out(`api key: ${outcome.body.api_key}\nkey id: ${outcome.body.key_id}\n(store it now: it is not shown again)`);
  }
  const keyId = positional(args, 4, '<key_id>', command, 5);
  const outcome = await revokeTenantKey(db, tenantId, keyId);
  if (!outcome.ok) {
    if (outcome.status === 400) throw new UsageError(`${command}: ${outcome.body.issues?.map((i) => i.message).join('; ')}`);
    throw new CommandFailed(`${command}: ${outcome.body.message ?? outcome.body.error}`, outcome.body);
  }
  if (args.json) return out(JSON.stringify(outcome.body));
  out(`api key ${keyId} of ${tenantId} ${outcome.body.changed ? 'revoked' : 'was already revoked'} at ${outcome.body.key.revoked_at}: it is refused from now on`);
}

export const tenants: CommandGroup = {
  name: 'tenants',
  usage: `  revos tenants create <tenant_id> [--name <name>] [--config <file.json>] [--new-key] [--json]
  revos tenants keys list <tenant_id> [--json]
  revos tenants keys create <tenant_id> [--label <text>] [--json]
  revos tenants keys revoke <tenant_id> <key_id> [--json]`,
  async run(args, ctx) {
    const sub = subcommand(args, 'tenants', ['create', 'keys']);
    await (sub === 'create' ? tenantsCreate(args, ctx) : tenantsKeys(args, ctx));
  },
};
