import { settleEffect } from '../services/settle-effect.js';
import { allowOnly, operatorName, positional } from './args.js';
import { subcommand, type CommandGroup } from './command.js';
import { CommandFailed, UsageError } from './errors.js';

/** `revos effects settle`: staff's answer to an effect the vendor could not settle. */
export const effects: CommandGroup = {
  name: 'effects',
  usage: `  revos effects settle <run_id> <effect> sent|not_sent [--note <text>] [--operator <name>] [--json]
                                                    answer an effect the vendor could not settle: sent completes it,
                                                    not_sent lets the run go again with exactly one new call`,
  async run(args, { session, out, env }) {
    subcommand(args, 'effects', ['settle']);
    const command = 'effects settle';
    allowOnly(args, command, ['note', 'operator']);
    const runId = positional(args, 2, '<run_id>', command, 5);
    const effectName = positional(args, 3, '<effect>', command, 5);
    const outcome = positional(args, 4, 'sent|not_sent', command, 5);
    if (outcome !== 'sent' && outcome !== 'not_sent') throw new UsageError(`${command}: the outcome must be sent or not_sent, got ${JSON.stringify(outcome)}`);
    if (args.note !== undefined && args.note.length > 2000) throw new UsageError(`${command}: --note must be at most 2000 characters`);
    const actor = operatorName(args, env.USER, 'unknown');
    const result = await settleEffect(await session.intake(), { runId, effectName, outcome, actor, ...(args.note === undefined ? {} : { note: args.note }) });
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
  },
};
