/**
 * `revos`: the operator CLI. Same configuration (env.ts), same intake and the same explorer
 * queries as the HTTP API, so the CLI and the API cannot disagree.
 *
 *   revos tenants create <tenant_id> [--name N] [--config file.json] [--json]
 *   revos enqueue <file.json> --tenant <tenant_id> [--json]
 *   revos runs show <run_id> --tenant <tenant_id> [--json]
 *   revos runs tree <run_id> --tenant <tenant_id> [--json]
 *
 * Exit codes: 0 done, 1 failed (refused envelope, unknown run, unreachable database, ...),
 * 2 usage error (a missing or bad argument, named), 78 bad configuration (like the processes).
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { createApiKey, createDb, loadTenant, migrateDatabase, upsertTenant, type Db } from '@revos/db';
import { TenantId } from '@revos/envelope';
import { closeLaneQueues, createLaneQueues } from '@revos/runtime';
import { Redis } from 'ioredis';
import { createProducerCatalog } from './catalog.js';
import { loadProducerEnv, type ProducerEnv } from './env.js';
import { submitRequest } from './submit.js';
import { runDetail, runTree, walkTree, type RunDetail, type RunTree } from './views.js';

const USAGE = `usage:
  revos tenants create <tenant_id> [--name <name>] [--config <file.json>] [--json]
  revos enqueue <file.json> --tenant <tenant_id> [--json]
  revos runs show <run_id> --tenant <tenant_id> [--json]
  revos runs tree <run_id> --tenant <tenant_id> [--json]
configuration comes from the environment: DATABASE_URL, REDIS_URL, QUEUE_PREFIX (see apps/producer/src/env.ts)`;

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
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
    return { positionals, name: values.name, config: values.config, tenant: values.tenant, json: values.json, help: values.help };
  } catch (error) {
    // parseArgs names the option ("Unknown option '--x'", "Option '--tenant <value>' argument missing").
    throw new UsageError((error as Error).message);
  }
}

function allowOnly(args: Parsed, command: string, allowed: (keyof Parsed)[]): void {
  for (const option of ['name', 'config', 'tenant'] as const) {
    if (args[option] !== undefined && !allowed.includes(option)) throw new UsageError(`${command}: --${option} is not an option of this command`);
  }
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
  private redis: Redis | null = null;
  private queuesHandle: ReturnType<typeof createLaneQueues> | null = null;
  constructor(readonly env: ProducerEnv) {}

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
      this.redis = new Redis(this.env.REDIS_URL, { maxRetriesPerRequest: 1, retryStrategy: (n) => (n > 3 ? null : 200 * n) });
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
    { db, queues: session.queues(), catalog: createProducerCatalog() },
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

async function runs(args: Parsed, session: Session, out: Out): Promise<void> {
  const sub = args.positionals[1];
  if (sub !== 'show' && sub !== 'tree') throw new UsageError(sub === undefined ? 'runs: missing subcommand show|tree' : `runs: unknown subcommand ${JSON.stringify(sub)} (show|tree)`);
  const command = `runs ${sub}`;
  allowOnly(args, command, ['tenant']);
  const runId = positional(args, 2, '<run_id>', command, 3);
  const tenantId = tenantOption(args, command);
  const db = await session.db();
  await requireTenant(db, tenantId);
  const notFound = () => new CommandFailed(`run ${runId} not found for tenant ${tenantId}`, { error: 'not_found' });
  if (sub === 'show') {
    const detail = await runDetail(db, tenantId, runId);
    if (!detail) throw notFound();
    out(args.json ? JSON.stringify(detail) : formatDetail(detail));
  } else {
    const tree = await runTree(db, tenantId, runId);
    if (!tree) throw notFound();
    out(args.json ? JSON.stringify(tree) : formatTree(tree));
  }
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
    ['retry_count', r.retry_count],
    ['latency_ms', r.latency_ms],
    ['latency_breach', r.latency_breach ? 'yes' : 'no'],
    ['accepted_at', r.accepted_at],
    ['started_at', r.started_at],
    ['ended_at', r.ended_at],
  ];
  const parts = [table(fields.map(([k, v]) => [`${k}:`, dash(v)]))];
  const section = (title: string, rows: string[][]) => parts.push('', rows.length > 1 ? `${title}\n${table(rows)}` : `${title}: none`);
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
  io: { out: Out; err: Out; env?: Record<string, string | undefined> } = { out: (t) => process.stdout.write(`${t}\n`), err: (t) => process.stderr.write(`${t}\n`) },
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
  const handlers: Record<string, (a: Parsed, s: Session, out: Out) => Promise<void>> = {
    tenants: async (a, s, out) => {
      if (a.positionals[1] !== 'create') throw new UsageError(a.positionals[1] === undefined ? 'tenants: missing subcommand create' : `tenants: unknown subcommand ${JSON.stringify(a.positionals[1])} (create)`);
      await tenantsCreate(a, s, out);
    },
    enqueue,
    runs,
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
  const session = new Session(env);
  try {
    await handler(args, session, io.out);
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
