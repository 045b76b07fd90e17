import { listOpenTasks } from '@revos/db';
import { applyTaskAction } from '../services/tasks.js';
import { allowOnly, limitOption, noMorePositionals, operatorName, positional, tenantIdArgument, tenantOption, type Parsed } from './args.js';
import { subcommand, type CommandContext, type CommandGroup } from './command.js';
import { CommandFailed, UsageError } from './errors.js';
import { dash, printable, table } from './format.js';

async function tasksList(args: Parsed, { session, out }: CommandContext): Promise<void> {
  const command = 'tasks list';
  allowOnly(args, command, ['tenant', 'limit']);
  noMorePositionals(args, command, 2);
  const db = await session.db();
  const rows = await listOpenTasks(db.sql, {
    tenantId: args.tenant === undefined ? undefined : tenantIdArgument(args.tenant, '--tenant', command),
    limit: limitOption(args, command, 200),
  });
  if (args.json) return out(JSON.stringify({ tasks: rows }));
  if (rows.length === 0) return out('no open tasks');
  out(table([
    ['TASK_ID', 'KIND', 'STATUS', 'TENANT', 'WORKFLOW', 'RUN_ID', 'FAILURE', 'CREATED_AT', 'REASON'],
    ...rows.map((t) => [t.task_id, t.kind, t.claimed_by ? `claimed:${t.claimed_by}${t.claimed_by_label ? `(${printable(t.claimed_by_label)})` : ''}` : t.status, t.tenant_id, dash(t.workflow_name), t.workflow_run_id, dash(t.failure_code), t.created_at, t.reason.slice(0, 80)]),
  ]));
}

/** `tasks claim|resolve|reopen`: the same rules and events as `POST /v1/tasks/:id/<action>`. */
async function taskAction(action: 'claim' | 'resolve' | 'reopen', args: Parsed, { session, out, env }: CommandContext): Promise<void> {
  const command = `tasks ${action}`;
  allowOnly(args, command, action === 'resolve' ? ['tenant', 'operator', 'resolution', 'note'] : ['tenant', 'operator']);
  const taskId = positional(args, 2, '<task_id>', command, 3);
  const tenantId = tenantOption(args, command);
  if (action === 'resolve' && args.resolution === undefined) throw new UsageError(`${command}: missing option --resolution <resolved|dismissed|sent|not_sent>`);
  const body: Record<string, unknown> = {};
  if (args.resolution !== undefined) body.resolution = args.resolution;
  if (args.note !== undefined) body.note = args.note;
  const outcome = await applyTaskAction(await session.intake(), tenantId, taskId, action, body, `cli:${operatorName(args, env.USER, 'operator')}`);
  if (!outcome.ok) {
    const detail = outcome.body.issues?.map((i) => `${i.path}: ${i.message}`).join('; ') ?? outcome.body.message ?? '';
    if (outcome.status === 400) throw new UsageError(`${command}: ${detail}`);
    throw new CommandFailed(`${command} ${taskId}: ${outcome.body.error}${detail ? ` (${detail})` : ''}`, outcome.body);
  }
  const t = outcome.body.task;
  if (args.json) return out(JSON.stringify(outcome.body));
  out(`task ${t.task_id} ${t.status}${t.resolution ? ` (${t.resolution})` : ''}${t.claimed_by ? ` claimed by ${t.claimed_by}${t.claimed_by_label ? ` (${printable(t.claimed_by_label)})` : ''}` : ''}${outcome.body.changed ? '' : ' (unchanged)'}`);
}

/** `revos tasks`: the staff work queue. */
export const tasks: CommandGroup = {
  name: 'tasks',
  usage: `  revos tasks list [--tenant <t>] [--limit <n>] [--json]
  revos tasks claim|reopen <task_id> --tenant <t> [--operator <name>] [--json]
  revos tasks resolve <task_id> --tenant <t> --resolution <resolved|dismissed|sent|not_sent> [--note <text>] [--operator <name>] [--json]`,
  async run(args, ctx) {
    const sub = subcommand(args, 'tasks', ['list', 'claim', 'resolve', 'reopen']);
    return sub === 'list' ? tasksList(args, ctx) : taskAction(sub, args, ctx);
  },
};
