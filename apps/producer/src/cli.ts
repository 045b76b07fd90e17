/**
 * `revos`: the operator CLI. Same configuration (env.ts), same intake and the same explorer
 * queries as the HTTP API, so the CLI and the API cannot disagree.
 *
 *   revos tenants create <tenant_id> [--name N] [--config file.json] [--json]
 *   revos enqueue <file.json> --tenant <tenant_id> [--json]
 *   revos runs show <run_id> --tenant <tenant_id> [--json]
 *   revos runs tree <run_id> --tenant <tenant_id> [--json]
 *   revos runs show|tree|events <any id> [--json]            (operators: any tenant, any id)
 *   revos runs failed [--workflow W] [--since 1h|ISO] [--tenant T] [--limit N] [--json]
 *   revos runs replay <run_id> [--force --reason R] [--operator O] [--json]
 *   revos runs replay --failed [--workflow W] [--since S] [--tenant T] [--limit N] [--force --reason R]
 *   revos tasks list [--tenant T] [--limit N] [--json]
 *   revos policy show --tenant T [--json]
 *   revos policy set --tenant T (--ruleset file.json | --flags file.json) [--expect V] [--operator O] [--reason R] [--json]
 *   revos tasks claim|reopen <task_id> --tenant T [--operator O] [--json]
 *   revos tasks resolve <task_id> --tenant T --resolution resolved|dismissed|sent|not_sent [--note N] [--operator O] [--json]
 *   revos consents set --tenant T [--subject p_…|l_…] [--address +E.164] --channel sms|voice|email --status allow|deny --source S [--evidence REF] [--operator O] [--json]
 *   revos consents show --tenant T (--subject p_…|l_… | --address +E.164) [--json]
 *   revos effects settle <run_id> <effect> sent|not_sent [--note N] [--operator O] [--json]
 *   revos export --tenant T [--workflow W] [--since 30m|6h|2d|ISO] [--until ISO] [--limit N] [--out file.jsonl] [--redact-all] [--json]
 *   revos prune [--dry-run] [--json]
 *
 * Exit codes: 0 done, 1 failed (refused envelope, unknown run, unreachable database, ...),
 * 2 usage error (a missing or bad argument, named), 78 bad configuration (like the processes).
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiKey, createDb, findRun, listFailedRuns, listOpenTasks, listRunEffects, loadTenant, migrateDatabase, upsertTenant, type Db } from '@revos/db';
import { newId, TenantId } from '@revos/envelope';
import { checkTenantRetentionConfig, closeLaneQueues, createLaneQueues, createLogger, createRedisConnection, createPrivacyGuard, InvalidRetentionConfigError, loadManifestsModule, pruneDryRun, type AnyManifest, pruneOnce, type RedisConnection } from '@revos/runtime';
import { createProducerCatalog } from './catalog.js';
import { retentionOptions } from './background.js';
import { loadProducerEnv, type ProducerEnv } from './env.js';
import { currentPolicy, submitPolicyChange } from './policy-change.js';
import { policyVersionsOf, sideEffectLines } from './side-effects.js';
import { formatPruneDryRun, formatPruneResult } from './prune-report.js';
import { operatorRunDetail, operatorRunTree, parseSince, replayRun, type ReplayOutcome } from './operator.js';
import { setConsents, showConsents, type ConsentSetBody } from './consents.js';
import { settleEffect } from './settle-effect.js';
import { submitPartial, submitRequest } from './submit.js';
import { applyTaskAction } from './tasks.js';
import { runDetail, runTree, walkTree, type RunDetail, type RunTree } from './views.js';

const USAGE = `usage:
  revos tenants create <tenant_id> [--name <name>] [--config <file.json>] [--json]
  revos enqueue <file.json> --tenant <tenant_id> [--json]
  revos runs show <run_id> --tenant <tenant_id> [--json]
  revos runs tree <run_id> --tenant <tenant_id> [--json]
  revos runs show|tree|events <id> [--json]        any run id, idempotency key, job id, event/task/outbox id, correlation or trigger id; any tenant
  revos runs failed [--workflow <name>] [--since <30m|6h|2d|ISO>] [--tenant <t>] [--limit <n>] [--json]
  revos runs replay <run_id> [--force --reason <why>] [--operator <name>] [--json]
  revos runs replay --failed [--workflow <name>] [--since <s>] [--tenant <t>] [--limit <n>] [--force --reason <why>] [--json]
  revos tasks list [--tenant <t>] [--limit <n>] [--json]
  revos policy show --tenant <t> [--json]            the tenant's ruleset, feature flags and their versions
  revos policy set --tenant <t> (--ruleset <file.json> | --flags <file.json>) [--expect <version>] [--operator <name>] [--reason <why>] [--json]
                                                    changes them through a WF07_Change_Policy run (validated, versioned, audited)
  revos tasks claim|reopen <task_id> --tenant <t> [--operator <name>] [--json]
  revos tasks resolve <task_id> --tenant <t> --resolution <resolved|dismissed|sent|not_sent> [--note <text>] [--operator <name>] [--json]
  revos consents set --tenant <t> [--subject <p_…|l_…>] [--address <+E.164>] --channel <sms|voice|email> --status <allow|deny> --source <how> [--evidence <ref>] [--operator <name>] [--json]
  revos consents show --tenant <t> (--subject <p_…|l_…> | --address <+E.164>) [--json]
  revos effects settle <run_id> <effect> sent|not_sent [--note <text>] [--operator <name>] [--json]
                                                    answer an effect the vendor could not settle: sent completes it,
                                                    not_sent lets the run go again with exactly one new call
  revos export --tenant <t> [--workflow <name>] [--since <30m|6h|2d|ISO>] [--until <ISO>] [--limit <n>] [--out <file.jsonl>] [--redact-all] [--json]
                                                    finished runs as JSONL, through a WF54_Dataset_Curation run (audited); progress on stderr
  revos prune [--dry-run] [--json]                  removes runs past their tenant's retention (RETENTION_DAYS or config.retention_days)
                                                    and ledger keys past the dedupe window; --dry-run shows per tenant what would go
configuration comes from the environment: DATABASE_URL, REDIS_URL, QUEUE_PREFIX, WORKFLOWS_MODULE (see apps/producer/src/env.ts)`;

/** A missing or bad argument: exit 2, one line naming it. */
class UsageError extends Error {
  override name = 'UsageError';
}

/** The command could not be done: exit 1, one line saying why. */
class CommandFailed extends Error {
  override name = 'CommandFailed';
  constructor(
    message: string,
    /** Printed to stdout with --json, so scripts get the API's error body. */
    readonly json?: unknown,
  ) {
    super(message);
  }
}

interface Parsed {
  positionals: string[];
  name?: string;
  config?: string;
  tenant?: string;
  workflow?: string;
  since?: string;
  limit?: string;
  until?: string;
  out?: string;
  operator?: string;
  reason?: string;
  ruleset?: string;
  flags?: string;
  expect?: string;
  subject?: string;
  address?: string;
  channel?: string;
  status?: string;
  source?: string;
  evidence?: string;
  resolution?: string;
  note?: string;
  force: boolean;
  failed: boolean;
  redactAll: boolean;
  dryRun: boolean;
  json: boolean;
  help: boolean;
}

function parse(argv: string[]): Parsed {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: {
        name: { type: 'string' },
        config: { type: 'string' },
        tenant: { type: 'string' },
        workflow: { type: 'string' },
        since: { type: 'string' },
        limit: { type: 'string' },
        until: { type: 'string' },
        out: { type: 'string' },
        operator: { type: 'string' },
        reason: { type: 'string' },
        ruleset: { type: 'string' },
        flags: { type: 'string' },
        expect: { type: 'string' },
        subject: { type: 'string' },
        address: { type: 'string' },
        channel: { type: 'string' },
        status: { type: 'string' },
        source: { type: 'string' },
        evidence: { type: 'string' },
        resolution: { type: 'string' },
        note: { type: 'string' },
        force: { type: 'boolean', default: false },
        failed: { type: 'boolean', default: false },
        'redact-all': { type: 'boolean', default: false },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    return {
      positionals,
      name: values.name,
      config: values.config,
      tenant: values.tenant,
      workflow: values.workflow,
      since: values.since,
      limit: values.limit,
      until: values.until,
      out: values.out,
      operator: values.operator,
      reason: values.reason,
      ruleset: values.ruleset,
      flags: values.flags,
      expect: values.expect,
      subject: values.subject,
      address: values.address,
      channel: values.channel,
      status: values.status,
      source: values.source,
      evidence: values.evidence,
      resolution: values.resolution,
      note: values.note,
      force: values.force,
      failed: values.failed,
      redactAll: values['redact-all'],
      dryRun: values['dry-run'],
      json: values.json,
      help: values.help,
    };
  } catch (error) {
    // parseArgs names the option ("Unknown option '--x'", "Option '--tenant <value>' argument missing").
    throw new UsageError((error as Error).message);
  }
}

function allowOnly(args: Parsed, command: string, allowed: (keyof Parsed)[]): void {
  for (const option of ['name', 'config', 'tenant', 'workflow', 'since', 'limit', 'until', 'out', 'operator', 'reason', 'subject', 'address', 'channel', 'status', 'source', 'evidence', 'resolution', 'note'] as const) {
    if (args[option] !== undefined && !allowed.includes(option)) throw new UsageError(`${command}: --${option} is not an option of this command`);
  }
  for (const flag of ['force', 'failed'] as const) {
    if (args[flag] && !allowed.includes(flag)) throw new UsageError(`${command}: --${flag} is not an option of this command`);
  }
  if (args.redactAll && !allowed.includes('redactAll')) throw new UsageError(`${command}: --redact-all is not an option of this command`);
  if (args.dryRun && !allowed.includes('dryRun')) throw new UsageError(`${command}: --dry-run is not an option of this command`);
}

function positional(args: Parsed, index: number, what: string, command: string, count: number): string {
  const value = args.positionals[index];
  if (value === undefined || value === '') throw new UsageError(`${command}: missing argument ${what}`);
  if (args.positionals.length > count) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args.positionals[count])}`);
  return value;
}

function tenantOption(args: Parsed, command: string): string {
  if (args.tenant === undefined || args.tenant === '') throw new UsageError(`${command}: missing option --tenant <tenant_id>`);
  return tenantIdArgument(args.tenant, '--tenant', command);
}

function tenantIdArgument(value: string, what: string, command: string): string {
  if (!TenantId.safeParse(value).success) throw new UsageError(`${command}: ${what} must look like t_<letters, digits, _ or ->, at most 62 characters`);
  return value;
}

async function readJsonFile(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CommandFailed(`${what} ${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CommandFailed(`${what} ${path}: not valid JSON`);
  }
}

/** Resources opened lazily and closed once, whatever the command did. */
class Session {
  private dbHandle: Db | null = null;
  private redis: RedisConnection | null = null;
  private queuesHandle: ReturnType<typeof createLaneQueues> | null = null;
  constructor(
    readonly env: ProducerEnv,
    /** Manifests of the workflows accepted beside the reference ones (a deployment's own, or a test's). */
    private readonly manifests: readonly AnyManifest[] = [],
  ) {}

  catalog() {
    return createProducerCatalog(this.manifests);
  }

  /** phi_minimized runs submitted here are stored redacted and sealed, as through the API. */
  privacy() {
    return createPrivacyGuard({ tokenKey: this.env.PHI_TOKEN_KEY, sealKey: this.env.PHI_SEAL_KEY, previousSealKeys: this.env.PHI_SEAL_KEYS_PREVIOUS });
  }

  async db(): Promise<Db> {
    if (!this.dbHandle) {
      // A fresh machine works: the database is created and migrated first (idempotent, locked).
      await migrateDatabase(this.env.DATABASE_URL);
      this.dbHandle = createDb({ url: this.env.DATABASE_URL, max: 2, applicationName: 'revos-cli' });
    }
    return this.dbHandle;
  }

  queues() {
    if (!this.queuesHandle) {
      // Fail fast instead of waiting forever when Redis is down: a CLI call is not a worker.
      this.redis = createRedisConnection(this.env, { maxRetriesPerRequest: 1, retryStrategy: (n) => (n > 3 ? null : 200 * n) });
      this.queuesHandle = createLaneQueues(this.redis, this.env.QUEUE_PREFIX);
    }
    return this.queuesHandle;
  }

  async close(): Promise<void> {
    if (this.queuesHandle) await closeLaneQueues(this.queuesHandle).catch(() => {});
    if (this.redis) await this.redis.quit().catch(() => this.redis?.disconnect());
    if (this.dbHandle) await this.dbHandle.close();
  }
}

type Out = (text: string) => void;

async function tenantsCreate(args: Parsed, session: Session, out: Out): Promise<void> {
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

async function requireTenant(db: Db, tenantId: string): Promise<void> {
  if (!(await loadTenant(db.sql, tenantId))) throw new CommandFailed(`tenant ${tenantId} not found (create it with: revos tenants create ${tenantId})`);
}

async function enqueue(args: Parsed, session: Session, out: Out): Promise<void> {
  const command = 'enqueue';
  allowOnly(args, command, ['tenant']);
  const file = positional(args, 1, '<file.json>', command, 2);
  const tenantId = tenantOption(args, command);
  const body = await readJsonFile(file, '<file.json>');
  const db = await session.db();
  await requireTenant(db, tenantId);
  const outcome = await submitRequest(
    { db, queues: session.queues(), catalog: session.catalog(), privacy: session.privacy() },
    body,
    tenantId,
    'cli',
  );
  if (!outcome.ok) {
    const issues = outcome.body.issues.map((i) => `${i.path || '(body)'}: ${i.rule}`).join('; ');
    throw new CommandFailed(`${outcome.body.error} (${outcome.httpStatus}): ${issues}`, outcome.body);
  }
  out(args.json ? JSON.stringify(outcome.body) : JSON.stringify(outcome.body, null, 2));
}

async function policy(args: Parsed, session: Session, out: Out, _err: Out, env: ProducerEnv): Promise<void> {
  const sub = args.positionals[1];
  if (sub !== 'show' && sub !== 'set') {
    throw new UsageError(sub === undefined ? 'policy: missing subcommand show|set' : `policy: unknown subcommand ${JSON.stringify(sub)} (show|set)`);
  }
  const command = `policy ${sub}`;
  if (args.positionals.length > 2) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args.positionals[2])}`);
  allowOnly(args, command, sub === 'show' ? ['tenant'] : ['tenant', 'ruleset', 'flags', 'expect', 'operator', 'reason']);
  const tenantId = tenantOption(args, command);
  const db = await session.db();
  await requireTenant(db, tenantId);
  if (sub === 'show') {
    const current = await currentPolicy(db, tenantId);
    out(args.json ? JSON.stringify(current) : JSON.stringify(current, null, 2));
    return;
  }
  if ((args.ruleset === undefined) === (args.flags === undefined)) throw new UsageError(`${command}: give exactly one of --ruleset <file.json> or --flags <file.json>`);
  const operator = args.operator ?? env.USER ?? 'unknown';
  if (!/^[A-Za-z0-9_.@-]{1,80}$/.test(operator)) throw new UsageError(`${command}: --operator must be letters, digits and _ . @ - (1-80)`);
  const body = {
    ...(args.ruleset !== undefined ? { ruleset: await readJsonFile(args.ruleset, '--ruleset') } : { feature_flags: await readJsonFile(args.flags!, '--flags') }),
    ...(args.expect !== undefined ? { expected_version: args.expect } : {}),
    ...(args.reason !== undefined ? { reason: args.reason } : {}),
  };
  const outcome = await submitPolicyChange(
    { db, queues: session.queues(), catalog: session.catalog(), privacy: session.privacy(), environment: env.ENVIRONMENT },
    tenantId,
    body,
    `cli:${operator}`,
    'cli',
  );
  if (!outcome.ok) {
    const issues = outcome.body.issues.map((i) => `${i.path || '(body)'}: ${i.rule}`).join('; ');
    throw new CommandFailed(`${outcome.body.error} (${outcome.httpStatus}): ${issues}`, outcome.body);
  }
  out(args.json ? JSON.stringify(outcome.body) : JSON.stringify(outcome.body, null, 2));
}

async function runs(args: Parsed, session: Session, out: Out, err: Out, env: ProducerEnv): Promise<void> {
  const sub = args.positionals[1];
  if (sub === 'failed') return runsFailed(args, session, out);
  if (sub === 'replay') return runsReplay(args, session, out, err, env);
  if (sub !== 'show' && sub !== 'tree' && sub !== 'events') {
    throw new UsageError(sub === undefined ? 'runs: missing subcommand show|tree|events|failed|replay' : `runs: unknown subcommand ${JSON.stringify(sub)} (show|tree|events|failed|replay)`);
  }
  const command = `runs ${sub}`;
  allowOnly(args, command, ['tenant']);
  const runId = positional(args, 2, sub === 'show' || sub === 'tree' ? '<run_id>' : '<id>', command, 3);
  const db = await session.db();
  if (args.tenant === undefined) return operatorShow(sub, runId, db, args, out);
  const tenantId = tenantOption(args, command);
  await requireTenant(db, tenantId);
  const notFound = () => new CommandFailed(`run ${runId} not found for tenant ${tenantId}`, { error: 'not_found' });
  if (sub === 'show') {
    const detail = await runDetail(db, tenantId, runId);
    if (!detail) throw notFound();
    out(args.json ? JSON.stringify(detail) : formatDetail(detail));
  } else if (sub === 'tree') {
    const tree = await runTree(db, tenantId, runId);
    if (!tree) throw notFound();
    out(args.json ? JSON.stringify(tree) : formatTree(tree));
  } else {
    const detail = await runDetail(db, tenantId, runId);
    if (!detail) throw notFound();
    out(args.json ? JSON.stringify({ workflow_run_id: detail.run.workflow_run_id, events: detail.events }) : formatEvents(detail.events));
  }
}

/** Without --tenant: any id of any tenant, with the operator's PHI redaction (as the run explorer). */
async function operatorShow(sub: 'show' | 'tree' | 'events', id: string, db: Db, args: Parsed, out: Out): Promise<void> {
  const notFound = () => new CommandFailed(`no run found for ${id} (tried run id, idempotency key, job id, event/task/outbox id, correlation and trigger id)`, { error: 'not_found' });
  if (sub === 'tree') {
    const tree = await operatorRunTree(db, id);
    if (!tree) throw notFound();
    out(args.json ? JSON.stringify(tree) : formatTree(tree));
    return;
  }
  const detail = await operatorRunDetail(db, id);
  if (!detail) throw notFound();
  if (sub === 'show') out(args.json ? JSON.stringify(detail) : formatDetail(detail));
  else out(args.json ? JSON.stringify({ workflow_run_id: detail.run.workflow_run_id, events: detail.events }) : formatEvents(detail.events));
}

function limitOption(args: Parsed, command: string, fallback: number, max = 10_000): number {
  if (args.limit === undefined) return fallback;
  const n = Number(args.limit);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${command}: --limit must be an integer from 1 to ${max}`);
  return n;
}

function sinceOption(args: Parsed, command: string): Date | undefined {
  const since = parseSince(args.since);
  if (since === null) throw new UsageError(`${command}: --since must be a duration (30m, 6h, 2d) or an ISO timestamp`);
  return since;
}

function failedFilter(args: Parsed, command: string, limit: number) {
  return {
    workflow: args.workflow,
    tenantId: args.tenant === undefined ? undefined : tenantIdArgument(args.tenant, '--tenant', command),
    since: sinceOption(args, command),
    limit: limitOption(args, command, limit),
  };
}

async function runsFailed(args: Parsed, session: Session, out: Out): Promise<void> {
  const command = 'runs failed';
  allowOnly(args, command, ['tenant', 'workflow', 'since', 'limit']);
  if (args.positionals.length > 2) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args.positionals[2])}`);
  const db = await session.db();
  const rows = await listFailedRuns(db.sql, failedFilter(args, command, 100));
  if (args.json) return out(JSON.stringify({ runs: rows }));
  if (rows.length === 0) return out('no failed runs');
  out(table([
    ['RUN_ID', 'WORKFLOW', 'TENANT', 'FAILURE', 'STAGE', 'RETRIES', 'PRIVACY', 'ENDED_AT'],
    ...rows.map((r) => [r.workflow_run_id, r.workflow_name, r.tenant_id, dash(r.failure_code), dash(r.failure_stage), String(r.retry_count), r.privacy_mode, dash(r.ended_at)]),
  ]));
}

async function runsReplay(args: Parsed, session: Session, out: Out, err: Out, env: ProducerEnv): Promise<void> {
  const command = 'runs replay';
  const operator = args.operator ?? env.USER ?? 'unknown';
  const intake = async () => ({ db: await session.db(), queues: session.queues(), catalog: session.catalog(), privacy: session.privacy() });
  if (!args.failed) {
    allowOnly(args, command, ['operator', 'reason', 'force']);
    const runId = positional(args, 2, '<run_id>', command, 3);
    const outcome = await replayRun(await intake(), runId, { force: args.force, reason: args.reason, operator });
    if (!outcome.ok) throw new CommandFailed(outcome.message, outcome);
    if (args.json) return out(JSON.stringify(outcome));
    out(`replayed ${outcome.original_run_id} as ${outcome.replay.workflow_run_id} (${outcome.replay.status})${outcome.forced ? ` — forced by ${operator}, audited` : ''}
idempotency_key: ${outcome.replay.idempotency_key}`);
    return;
  }
  allowOnly(args, command, ['tenant', 'workflow', 'since', 'limit', 'operator', 'reason', 'force', 'failed']);
  if (args.positionals.length > 2) throw new UsageError(`${command} --failed: takes no <run_id> (filter with --workflow, --since, --tenant)`);
  const deps = await intake();
  const rows = await listFailedRuns(deps.db.sql, failedFilter(args, command, 500));
  const bar = progressBar(err, rows.length, 'replay');
  const results: ReplayOutcome[] = [];
  for (const row of rows) {
    const outcome = await replayRun(deps, row.workflow_run_id, { force: args.force, reason: args.reason, operator });
    results.push(outcome);
    bar.tick(outcome.ok ? 'replayed' : 'refused');
  }
  bar.done();
  const replayed = results.filter((r) => r.ok).length;
  if (args.json) out(JSON.stringify({ replayed, refused: results.length - replayed, results }));
  else {
    out(table([
      ['ORIGINAL', 'RESULT', 'REPLAY_RUN_ID / REASON'],
      ...results.map((r) => (r.ok ? [r.original_run_id, r.replay.status, r.replay.workflow_run_id] : [r.original_run_id, r.error, r.message])),
    ]));
    out(`${replayed} replayed, ${results.length - replayed} refused`);
  }
  if (replayed < results.length) throw new CommandFailed(`${results.length - replayed} of ${results.length} runs not replayed`);
}

/**
 * A text progress bar on stderr for bulk work: redrawn in place on a terminal, one line per tenth
 * of the work otherwise (CI logs stay short). stdout stays clean for --json.
 */
export function progressBar(err: Out, total: number, label: string, isTty = Boolean(process.stderr.isTTY)) {
  const counts = new Map<string, number>();
  let done = 0;
  let lastStep = -1;
  const render = () => {
    const width = 30;
    const filled = total === 0 ? width : Math.round((done / total) * width);
    const tally = [...counts].map(([k, v]) => `${v} ${k}`).join(', ');
    return `${label} [${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total}${tally ? ` ${tally}` : ''}`;
  };
  return {
    /** `n` items finished with this outcome (default one). */
    tick(outcome: string, n = 1) {
      done += n;
      counts.set(outcome, (counts.get(outcome) ?? 0) + n);
      if (isTty) process.stderr.write(`\r${render()}`);
      else {
        const step = Math.floor((done / Math.max(total, 1)) * 10);
        if (step !== lastStep) {
          lastStep = step;
          err(render());
        }
      }
    },
    done() {
      if (isTty) process.stderr.write('\n');
      else if (total === 0) err(render());
    },
  };
}

export const EXPORT_WORKFLOW = 'WF54_Dataset_Curation';
const FINAL_STATUSES = new Set(['ok', 'noop', 'failed', 'blocked']);
const EXPORT_POLL_MS = 200;

/**
 * `revos export`: the export is a WF54_Dataset_Curation run submitted through the same intake as
 * the API, so it is audited like any run (its envelope names the filters, its output the file and
 * its SHA-256) and runs on a worker, which writes the file under its EXPORT_DIR. The CLI then
 * follows the run: the progress bar counts the lines of the parts the run has journaled (the
 * `export.plan` and `export.part.*` effects), read from the database, so it works from any host.
 */
async function exportRuns(args: Parsed, session: Session, out: Out, err: Out, env: ProducerEnv): Promise<void> {
  const command = 'export';
  allowOnly(args, command, ['tenant', 'workflow', 'since', 'until', 'limit', 'out', 'redactAll']);
  if (args.positionals.length > 1) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args.positionals[1])}`);
  const tenantId = tenantOption(args, command);
  const since = sinceOption(args, command);
  let until: Date | undefined;
  if (args.until !== undefined) {
    until = new Date(args.until);
    if (Number.isNaN(until.getTime())) throw new UsageError(`${command}: --until must be an ISO timestamp`);
  }
  const payload: Record<string, unknown> = {
    ...(args.workflow !== undefined ? { workflow: args.workflow } : {}),
    ...(since ? { since: since.toISOString() } : {}),
    ...(until ? { until: until.toISOString() } : {}),
    ...(args.limit !== undefined ? { limit: limitOption(args, command, 100_000, 1_000_000) } : {}),
    ...(args.out !== undefined ? { out: args.out } : {}),
    ...(args.redactAll ? { redact: 'all' } : {}),
  };
  const db = await session.db();
  await requireTenant(db, tenantId);
  const partial = {
    meta: {
      workflow_name: EXPORT_WORKFLOW,
      trigger_source: 'ui',
      // One export per invocation: running the command again is a new export, not a duplicate.
      trigger_id: newId('export'),
      environment: env.ENVIRONMENT,
      privacy_mode: 'standard',
    },
    subject: {},
    payload,
  };
  const outcome = await submitPartial({ db, queues: session.queues(), catalog: session.catalog(), privacy: session.privacy() }, partial, tenantId, { source: 'cli' });
  if (!outcome.ok) {
    const issues = outcome.body.issues.map((i) => `${i.path || '(body)'}: ${i.rule}`).join('; ');
    throw new CommandFailed(`${outcome.body.error} (${outcome.httpStatus}): ${issues}`, outcome.body);
  }
  const runId = outcome.body.workflow_run_id;
  err(`export run ${runId} queued; waiting for a worker`);

  let bar: ReturnType<typeof progressBar> | null = null;
  let shown = 0;
  for (;;) {
    const effects = await listRunEffects(db.sql, tenantId, runId, 'export.');
    const plan = effects.find((e) => e.effect_name === 'export.plan' && e.state === 'completed');
    if (plan && !bar) bar = progressBar(err, numberField(plan.result, 'total'), 'export');
    if (bar) {
      const lines = Math.max(0, ...effects.filter((e) => e.effect_name.startsWith('export.part.') && e.state === 'completed').map((e) => numberField(e.result, 'lines_total')));
      if (lines > shown) {
        bar.tick('runs', lines - shown);
        shown = lines;
      }
    }
    const run = await findRun(db.sql, tenantId, runId);
    if (run && FINAL_STATUSES.has(run.status)) {
      bar?.done();
      const primary = (run.output as { result?: { primary_outputs?: Record<string, unknown> } } | null)?.result?.primary_outputs ?? {};
      if (run.status !== 'ok') {
        throw new CommandFailed(`export run ${runId} ended ${run.status}: ${run.failure_code ?? 'unknown'}`, { workflow_run_id: runId, status: run.status, failure_code: run.failure_code });
      }
      const result = { workflow_run_id: runId, status: run.status, file: primary.file, lines: primary.lines, bytes: primary.bytes, sha256: primary.sha256 };
      out(args.json ? JSON.stringify(result) : `exported ${String(result.lines)} run(s) to ${String(result.file)}\nsha256: ${String(result.sha256)}\nrun: ${runId}`);
      return;
    }
    await new Promise((r) => setTimeout(r, EXPORT_POLL_MS));
  }
}

function numberField(value: unknown, key: string): number {
  const n = typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[key] : undefined;
  return typeof n === 'number' && Number.isFinite(n) ? n : 0;
}

/** `revos prune`: one prune pass now (the producer also runs it every PRUNE_INTERVAL_MS), or its dry run. */
async function prune(args: Parsed, session: Session, out: Out, _err: Out, env: ProducerEnv): Promise<void> {
  const command = 'prune';
  allowOnly(args, command, ['dryRun']);
  if (args.positionals.length > 1) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args.positionals[1])}`);
  const db = await session.db();
  if (args.dryRun) {
    const dry = await pruneDryRun({ db }, retentionOptions(env));
    out(args.json ? JSON.stringify(dry) : formatPruneDryRun(dry, table));
    return;
  }
  // The result names what went and any tenant skipped; the CLI prints it instead of logging.
  const result = await pruneOnce({ db, queues: session.queues(), log: createLogger({ level: 'silent' }) }, retentionOptions(env));
  out(args.json ? JSON.stringify(result) : formatPruneResult(result));
}

async function effectsSettle(args: Parsed, session: Session, out: Out, _err: Out, env: ProducerEnv): Promise<void> {
  if (args.positionals[1] !== 'settle') throw new UsageError(args.positionals[1] === undefined ? 'effects: missing subcommand settle' : `effects: unknown subcommand ${JSON.stringify(args.positionals[1])} (settle)`);
  const command = 'effects settle';
  allowOnly(args, command, ['note', 'operator']);
  const runId = positional(args, 2, '<run_id>', command, 5);
  const effectName = positional(args, 3, '<effect>', command, 5);
  const outcome = positional(args, 4, 'sent|not_sent', command, 5);
  if (outcome !== 'sent' && outcome !== 'not_sent') throw new UsageError(`${command}: the outcome must be sent or not_sent, got ${JSON.stringify(outcome)}`);
  if (args.note !== undefined && args.note.length > 2000) throw new UsageError(`${command}: --note must be at most 2000 characters`);
  const actor = args.operator ?? env.USER ?? 'unknown';
  const deps = { db: await session.db(), queues: session.queues(), catalog: session.catalog(), privacy: session.privacy() };
  const result = await settleEffect(deps, { runId, effectName, outcome, actor, ...(args.note === undefined ? {} : { note: args.note }) });
  if (!result.ok) throw new CommandFailed(result.message, result);
  if (args.json) return out(JSON.stringify(result));
  const s = result.settlement;
  const next =
    s.outcome === 'sent'
      ? 'completed; nothing will be sent again'
      : result.rerun?.ok
        ? `the run goes again (${result.rerun.repair}) with exactly one new call`
        : `the run is reopened; it could not be queued now (${result.rerun?.message ?? 'unknown'}), the reconciler will`;
  out(`settled ${s.effectName} of ${s.workflowRunId} as ${s.outcome} (was ${s.stateBefore}) by ${actor}: ${next}${s.closedTaskIds.length ? `; closed ${s.closedTaskIds.join(', ')}` : ''}`);
}

async function tasks(args: Parsed, session: Session, out: Out, _err: Out, env: ProducerEnv): Promise<void> {
  const sub = args.positionals[1];
  if (sub === 'claim' || sub === 'resolve' || sub === 'reopen') return taskAction(sub, args, session, out, env);
  if (sub !== 'list') throw new UsageError(sub === undefined ? 'tasks: missing subcommand list|claim|resolve|reopen' : `tasks: unknown subcommand ${JSON.stringify(sub)} (list, claim, resolve, reopen)`);
  const command = 'tasks list';
  allowOnly(args, command, ['tenant', 'limit']);
  if (args.positionals.length > 2) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args.positionals[2])}`);
  const db = await session.db();
  const rows = await listOpenTasks(db.sql, {
    tenantId: args.tenant === undefined ? undefined : tenantIdArgument(args.tenant, '--tenant', command),
    limit: limitOption(args, command, 200),
  });
  if (args.json) return out(JSON.stringify({ tasks: rows }));
  if (rows.length === 0) return out('no open tasks');
  out(table([
    ['TASK_ID', 'KIND', 'STATUS', 'TENANT', 'WORKFLOW', 'RUN_ID', 'FAILURE', 'CREATED_AT', 'REASON'],
    ...rows.map((t) => [t.task_id, t.kind, t.claimed_by ? `claimed:${t.claimed_by}` : t.status, t.tenant_id, dash(t.workflow_name), t.workflow_run_id, dash(t.failure_code), t.created_at, t.reason.slice(0, 80)]),
  ]));
}

/** `tasks claim|resolve|reopen`: the same rules and events as `POST /v1/tasks/:id/<action>`. */
async function taskAction(action: 'claim' | 'resolve' | 'reopen', args: Parsed, session: Session, out: Out, env: ProducerEnv): Promise<void> {
  const command = `tasks ${action}`;
  allowOnly(args, command, action === 'resolve' ? ['tenant', 'operator', 'resolution', 'note'] : ['tenant', 'operator']);
  const taskId = positional(args, 2, '<task_id>', command, 3);
  const tenantId = tenantOption(args, command);
  if (action === 'resolve' && args.resolution === undefined) throw new UsageError(`${command}: missing option --resolution <resolved|dismissed|sent|not_sent>`);
  const body: Record<string, unknown> = {};
  if (args.resolution !== undefined) body.resolution = args.resolution;
  if (args.note !== undefined) body.note = args.note;
  const outcome = await applyTaskAction({ db: await session.db(), queues: session.queues(), catalog: session.catalog(), privacy: session.privacy() }, tenantId, taskId, action, body, `cli:${args.operator ?? env.USER ?? 'operator'}`);
  if (!outcome.ok) {
    const detail = outcome.body.issues?.map((i) => `${i.path}: ${i.message}`).join('; ') ?? outcome.body.message ?? '';
    if (outcome.status === 400) throw new UsageError(`${command}: ${detail}`);
    throw new CommandFailed(`${command} ${taskId}: ${outcome.body.error}${detail ? ` (${detail})` : ''}`, outcome.body);
  }
  const t = outcome.body.task;
  if (args.json) return out(JSON.stringify(outcome.body));
  out(`task ${t.task_id} ${t.status}${t.resolution ? ` (${t.resolution})` : ''}${t.claimed_by ? ` claimed by ${t.claimed_by}` : ''}${outcome.body.changed ? '' : ' (unchanged)'}`);
}

/** `consents set|show`: the same rules and events as `PUT/GET /v1/consents`. */
async function consents(args: Parsed, session: Session, out: Out, _err: Out, env: ProducerEnv): Promise<void> {
  const sub = args.positionals[1];
  if (sub !== 'set' && sub !== 'show') throw new UsageError(sub === undefined ? 'consents: missing subcommand set|show' : `consents: unknown subcommand ${JSON.stringify(sub)} (set, show)`);
  const command = `consents ${sub}`;
  if (args.positionals.length > 2) throw new UsageError(`${command}: unexpected argument ${JSON.stringify(args.positionals[2])}`);
  const tenantId = tenantOption(args, command);
  const db = await session.db();
  if (sub === 'show') {
    allowOnly(args, command, ['tenant', 'subject', 'address']);
    const outcome = await showConsents(db, tenantId, { subject: args.subject, address: args.address });
    if (!outcome.ok) throw new UsageError(`${command}: ${outcome.body.issues.map((i) => `--${i.path}: ${i.message}`).join('; ')}`);
    const rows = 'consents' in outcome.body ? outcome.body.consents : [];
    if (args.json) return out(JSON.stringify({ consents: rows }));
    if (rows.length === 0) return out('no consent recorded (texts need an allow for the subject)');
    return out(table([['TARGET', 'ID', 'CHANNEL', 'STATUS', 'SOURCE', 'BY', 'UPDATED_AT'], ...rows.map((r) => [r.target, r.id, r.channel, r.status, dash(r.source), dash(r.updated_by), r.updated_at])]));
  }
  allowOnly(args, command, ['tenant', 'subject', 'address', 'channel', 'status', 'source', 'evidence', 'operator']);
  await requireTenant(db, tenantId);
  const request: Record<string, unknown> = { channel: args.channel, status: args.status, source: args.source ?? 'cli' };
  if (args.subject !== undefined) request.subject = args.subject.startsWith('l_') ? { lead_id: args.subject } : { patient_id: args.subject };
  if (args.address !== undefined) request.address = args.address;
  if (args.evidence !== undefined) request.evidence_ref = args.evidence;
  const outcome = await setConsents({ db, privacy: session.privacy() }, tenantId, request, `cli:${args.operator ?? env.USER ?? 'operator'}`);
  if (!outcome.ok) throw new UsageError(`${command}: ${outcome.body.issues.map((i) => `--${i.path.split('.')[0]?.replace('evidence_ref', 'evidence')}: ${i.message}`).join('; ')}`);
  if (args.json) return out(JSON.stringify(outcome.body));
  const body = outcome.body as ConsentSetBody;
  const lines = [body.subject, body.address].filter((x) => x !== undefined).map((c) => `${c.id} ${c.channel} ${c.status}${c.changed ? ` (was ${c.previous ?? 'unset'})` : ' (unchanged)'}`);
  out(lines.join('\n'));
}

export function formatEvents(events: RunDetail['events']): string {
  if (events.length === 0) return 'events: none';
  return table([['EVENT_ID', 'TYPE', 'DIRECTION', 'EFFECT', 'AT', 'PAYLOAD_REF'], ...events.map((e) => [e.event_id, e.event_type, e.direction, dash(e.effect_name), e.occurred_at, e.payload_ref])]);
}

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

const dash = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : String(v));

export function formatTree(tree: RunTree): string {
  const rows = [['WORKFLOW', 'STATUS', 'LATENCY_MS', 'RETRIES', 'BREACH', 'RUN_ID']];
  for (const { node, depth } of walkTree(tree.tree)) {
    rows.push([`${'  '.repeat(depth)}${node.workflow_name}`, node.status, dash(node.latency_ms), String(node.retry_count), node.latency_breach ? 'yes' : 'no', node.workflow_run_id]);
  }
  return `root ${tree.root_run_id} (${tree.runs.length} run${tree.runs.length === 1 ? '' : 's'})\n${table(rows)}`;
}

export function formatDetail(d: RunDetail): string {
  const r = d.run;
  const fields: [string, unknown][] = [
    ['run', r.workflow_run_id],
    ['workflow', `${r.workflow_name}@${r.workflow_version}`],
    ['status', r.status],
    ['failure', r.failure_code ? `${r.failure_code} at ${dash(r.failure_stage)}` : null],
    ['tenant', r.tenant_id],
    ['root', r.root_run_id],
    ['parent', r.parent_run_id],
    ['idempotency_key', r.idempotency_key],
    ['job_id', r.job_id],
    ['lane', r.lane],
    ['trigger_source', r.trigger_source],
    ['privacy_mode', r.privacy_mode],
    ['policy', policyVersionsOf(r.envelope)],
    ['retry_count', r.retry_count],
    ['latency_ms', r.latency_ms],
    ['latency_breach', r.latency_breach ? 'yes' : 'no'],
    ['accepted_at', r.accepted_at],
    ['started_at', r.started_at],
    ['ended_at', r.ended_at],
  ];
  const parts = [table(fields.map(([k, v]) => [`${k}:`, dash(v)]))];
  const section = (title: string, rows: string[][]) => parts.push('', rows.length > 1 ? `${title}\n${table(rows)}` : `${title}: none`);
  const effects = sideEffectLines(d.events);
  parts.push('', effects.length > 0 ? `side effects\n${effects.map((line) => `  ${line}`).join('\n')}` : 'side effects: none');
  section('events', [['EVENT_ID', 'TYPE', 'DIRECTION', 'EFFECT', 'AT'], ...d.events.map((e) => [e.event_id, e.event_type, e.direction, dash(e.effect_name), e.occurred_at])]);
  section('external calls', [
    ['SERVICE', 'ENDPOINT', 'LATENCY_MS', 'SUCCESS'],
    ...d.external_calls.map((call) => {
      const c = (typeof call === 'object' && call !== null ? call : {}) as Record<string, unknown>;
      return [dash(c.service), dash(c.endpoint), dash(c.latency_ms), dash(c.success)];
    }),
  ]);
  section('tasks', [['TASK_ID', 'KIND', 'STATUS', 'FAILURE', 'CREATED_AT'], ...d.tasks.map((t) => [t.task_id, t.kind, t.status, dash(t.failure_code), t.created_at])]);
  return parts.join('\n');
}

/** Runs one CLI invocation; returns the exit code (never calls process.exit, so it is testable). */
export async function runCli(
  argv: string[],
  io: { out: Out; err: Out; env?: Record<string, string | undefined>; manifests?: readonly AnyManifest[] } = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) },
): Promise<number> {
  let args: Parsed;
  try {
    args = parse(argv);
  } catch (error) {
    io.err(`revos: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    io.out(USAGE);
    return 0;
  }
  const command = args.positionals[0];
  const handlers: Record<string, (a: Parsed, s: Session, out: Out, err: Out, env: ProducerEnv) => Promise<void>> = {
    tenants: async (a, s, out) => {
      if (a.positionals[1] !== 'create') throw new UsageError(a.positionals[1] === undefined ? 'tenants: missing subcommand create' : `tenants: unknown subcommand ${JSON.stringify(a.positionals[1])} (create)`);
      await tenantsCreate(a, s, out);
    },
    enqueue,
    runs,
    tasks,
    policy,
    consents,
    effects: effectsSettle,
    export: exportRuns,
    prune,
  };
  const handler = command === undefined ? undefined : handlers[command];
  if (!handler) {
    io.err(`revos: ${command === undefined ? 'missing command' : `unknown command ${JSON.stringify(command)}`}\n${USAGE}`);
    return 2;
  }
  let env: ProducerEnv;
  try {
    env = io.env ? loadProducerEnv(io.env) : loadProducerEnv();
  } catch (error) {
    io.err(`revos: ${(error as Error).message}`);
    return 78;
  }
  // A deployment's own workflows: its CLI entry's (runCliMain) and WORKFLOWS_MODULE's, so the CLI
  // accepts and shows the same workflows as its producers.
  let manifests = io.manifests ?? [];
  if (env.WORKFLOWS_MODULE) {
    try {
      manifests = [...manifests, ...(await loadManifestsModule(env.WORKFLOWS_MODULE))];
    } catch (error) {
      io.err(`revos: ${(error as Error).message}`);
      return 78;
    }
  }
  const session = new Session(env, manifests);
  try {
    await handler(args, session, io.out, io.err, env);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`revos: ${error.message}`);
      return 2;
    }
    if (error instanceof CommandFailed) {
      if (args.json && error.json !== undefined) io.out(JSON.stringify(error.json));
      io.err(`revos: ${error.message}`);
      return 1;
    }
    io.err(`revos: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await session.close();
  }
}

// Entry point when run as a script (bin/revos.mjs spawns this file or dist/cli.js); importing it runs nothing.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  void runCli(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
