import { createLogger, pruneDryRun, pruneOnce } from '@revos/runtime';
import { retentionOptions } from '../services/retention.js';
import { formatPruneDryRun, formatPruneResult } from './prune-report.js';
import { allowOnly, noMorePositionals } from './args.js';
import type { CommandGroup } from './command.js';
import { table } from './format.js';

/** `revos prune`: one prune pass now (the producer also runs it every PRUNE_INTERVAL_MS), or its dry run. */
export const prune: CommandGroup = {
  name: 'prune',
  usage: `  revos prune [--dry-run] [--json]                  removes runs past their tenant's retention (RETENTION_DAYS or config.retention_days)
                                                    and ledger keys past the dedupe window; --dry-run shows per tenant what would go`,
  async run(args, { session, out, env }) {
    const command = 'prune';
    allowOnly(args, command, ['dryRun']);
    noMorePositionals(args, command, 1);
    const db = await session.db();
    if (args.dryRun) {
      const dry = await pruneDryRun({ db }, retentionOptions(env));
      out(args.json ? JSON.stringify(dry) : formatPruneDryRun(dry, table));
      return;
    }
    // The result names what went and any tenant skipped; the CLI prints it instead of logging.
    const result = await pruneOnce({ db, queues: session.queues(), log: createLogger({ level: 'silent' }) }, retentionOptions(env));
    out(args.json ? JSON.stringify(result) : formatPruneResult(result));
  },
};
