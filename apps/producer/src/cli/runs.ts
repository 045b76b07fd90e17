import { listFailedRuns, type Db, type RunView } from '@revos/db';
import { operatorRunDetail, operatorRunTree, replayRun, type RedactedRun, type ReplayOutcome } from '../services/operator.js';
import { runDetail, runTree, type RunDetail, type RunTree } from '../services/views.js';
import { allowOnly, limitOption, noMorePositionals, operatorName, positional, sinceOption, tenantIdArgument, tenantOption, type Parsed } from './args.js';
import { subcommand, type CommandContext, type CommandGroup } from './command.js';
import { CommandFailed, UsageError } from './errors.js';
import { dash, formatDetail, formatEvents, formatTree, table } from './format.js';
import { progressBar } from './progress.js';
import { requireTenant } from './session.js';

type ViewSub = 'show' | 'tree' | 'events';

/** Where a view's run comes from: a tenant's own (the API's views) or any tenant's (the operator's, PHI redacted). */
interface RunViews {
  tree(): Promise<RunTree | null>;
  detail(): Promise<RunDetail<RunView | RedactedRun> | null>;
  notFound(): CommandFailed;
}

/** `runs show|tree|events`: with --tenant the API's views of one of the tenant's runs; without, any id of any tenant. */
async function runsView(sub: ViewSub, args: Parsed, { session, out }: CommandContext): Promise<void> {
  const command = `runs ${sub}`;
  allowOnly(args, command, ['tenant']);
  const id = positional(args, 2, sub === 'show' || sub === 'tree' ? '<run_id>' : '<id>', command, 3);
  const db = await session.db();
  const views = args.tenant === undefined ? operatorViews(db, id) : await tenantViews(db, tenantOption(args, command), id);
  if (sub === 'tree') {
    const tree = await views.tree();
    if (!tree) throw views.notFound();
    return out(args.json ? JSON.stringify(tree) : formatTree(tree));
  }
  const detail = await views.detail();
  if (!detail) throw views.notFound();
  if (sub === 'show') out(args.json ? JSON.stringify(detail) : formatDetail(detail));
  else out(args.json ? JSON.stringify({ workflow_run_id: detail.run.workflow_run_id, events: detail.events }) : formatEvents(detail.events));
}

async function tenantViews(db: Db, tenantId: string, runId: string): Promise<RunViews> {
  await requireTenant(db, tenantId);
  return {
    tree: () => runTree(db, tenantId, runId),
    detail: () => runDetail(db, tenantId, runId),
    notFound: () => new CommandFailed(`run ${runId} not found for tenant ${tenantId}`, { error: 'not_found' }),
  };
}

/** Any id of any tenant, with the operator's PHI redaction (as the run explorer). */
function operatorViews(db: Db, id: string): RunViews {
  return {
    tree: () => operatorRunTree(db, id),
    detail: () => operatorRunDetail(db, id),
    notFound: () => new CommandFailed(`no run found for ${id} (tried run id, idempotency key, job id, event/task/outbox id, correlation and trigger id)`, { error: 'not_found' }),
  };
}

function failedFilter(args: Parsed, command: string, limit: number) {
  return {
    workflow: args.workflow,
    tenantId: args.tenant === undefined ? undefined : tenantIdArgument(args.tenant, '--tenant', command),
    since: sinceOption(args, command),
    limit: limitOption(args, command, limit),
  };
}

async function runsFailed(args: Parsed, { session, out }: CommandContext): Promise<void> {
  const command = 'runs failed';
  allowOnly(args, command, ['tenant', 'workflow', 'since', 'limit']);
  noMorePositionals(args, command, 2);
  const db = await session.db();
  const rows = await listFailedRuns(db.sql, failedFilter(args, command, 100));
  if (args.json) return out(JSON.stringify({ runs: rows }));
  if (rows.length === 0) return out('no failed runs');
  out(table([
    ['RUN_ID', 'WORKFLOW', 'TENANT', 'FAILURE', 'STAGE', 'RETRIES', 'PRIVACY', 'ENDED_AT'],
    ...rows.map((r) => [r.workflow_run_id, r.workflow_name, r.tenant_id, dash(r.failure_code), dash(r.failure_stage), String(r.retry_count), r.privacy_mode, dash(r.ended_at)]),
  ]));
}

/** `runs replay <run_id>` or `runs replay --failed [filters]`: each a new run of the same input (forced ones audited). */
async function runsReplay(args: Parsed, { session, out, err, env }: CommandContext): Promise<void> {
  const command = 'runs replay';
  const operator = operatorName(args, env.USER, 'unknown');
  if (!args.failed) {
    allowOnly(args, command, ['operator', 'reason', 'force']);
    const runId = positional(args, 2, '<run_id>', command, 3);
    const outcome = await replayRun(await session.intake(), runId, { force: args.force, reason: args.reason, operator });
    if (!outcome.ok) throw new CommandFailed(outcome.message, outcome);
    if (args.json) return out(JSON.stringify(outcome));
    out(`replayed ${outcome.original_run_id} as ${outcome.replay.workflow_run_id} (${outcome.replay.status})${outcome.forced ? ` — forced by ${operator}, audited` : ''}
idempotency_key: ${outcome.replay.idempotency_key}`);
    return;
  }
  allowOnly(args, command, ['tenant', 'workflow', 'since', 'limit', 'operator', 'reason', 'force', 'failed']);
  if (args.positionals.length > 2) throw new UsageError(`${command} --failed: takes no <run_id> (filter with --workflow, --since, --tenant)`);
  const deps = await session.intake();
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

/** `revos runs`: look at runs (a tenant's, or any for operators), list the failed ones, replay them. */
export const runs: CommandGroup = {
  name: 'runs',
  usage: `  revos runs show <run_id> --tenant <tenant_id> [--json]
  revos runs tree <run_id> --tenant <tenant_id> [--json]
  revos runs show|tree|events <id> [--json]        any run id, idempotency key, job id, event/task/outbox id, correlation or trigger id; any tenant
  revos runs failed [--workflow <name>] [--since <30m|6h|2d|ISO>] [--tenant <t>] [--limit <n>] [--json]
  revos runs replay <run_id> [--force --reason <why>] [--operator <name>] [--json]
  revos runs replay --failed [--workflow <name>] [--since <s>] [--tenant <t>] [--limit <n>] [--force --reason <why>] [--json]`,
  async run(args, ctx) {
    const sub = subcommand(args, 'runs', ['show', 'tree', 'events', 'failed', 'replay']);
    if (sub === 'failed') return runsFailed(args, ctx);
    if (sub === 'replay') return runsReplay(args, ctx);
    return runsView(sub, args, ctx);
  },
};
