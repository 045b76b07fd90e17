import { findRun, listRunEffects } from '@revos/db';
import { newId } from '@revos/envelope';
import { submitPartial } from '../services/submit.js';
import { allowOnly, limitOption, noMorePositionals, sinceOption, tenantOption, type Parsed } from './args.js';
import type { CommandContext, CommandGroup } from './command.js';
import { CommandFailed, submissionRefused, UsageError } from './errors.js';
import { progressBar } from './progress.js';
import { requireTenant } from './session.js';

const EXPORT_WORKFLOW = 'WF54_Dataset_Curation';
const FINAL_STATUSES = new Set(['ok', 'noop', 'failed', 'blocked']);
const EXPORT_POLL_MS = 200;

/**
 * `revos export`: the export is a WF54_Dataset_Curation run submitted through the same intake as
 * the API, so it is audited like any run (its envelope names the filters, its output the file and
 * its SHA-256) and runs on a worker, which writes the file under its EXPORT_DIR. The CLI then
 * follows the run: the progress bar counts the lines of the parts the run has journaled (the
 * `export.plan` and `export.part.*` effects), read from the database, so it works from any host.
 */
async function exportRuns(args: Parsed, { session, out, err, env }: CommandContext): Promise<void> {
  const command = 'export';
  allowOnly(args, command, ['tenant', 'workflow', 'since', 'until', 'limit', 'out', 'redactAll']);
  noMorePositionals(args, command, 1);
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
  const outcome = await submitPartial(await session.intake(), partial, tenantId, { source: 'cli' });
  if (!outcome.ok) throw submissionRefused(outcome.httpStatus, outcome.body);
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
      const primary = run.output?.result.primary_outputs ?? {};
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

export const exportCommand: CommandGroup = {
  name: 'export',
  usage: `  revos export --tenant <t> [--workflow <name>] [--since <30m|6h|2d|ISO>] [--until <ISO>] [--limit <n>] [--out <file.jsonl>] [--redact-all] [--json]
                                                    finished runs as JSONL, through a WF54_Dataset_Curation run (audited); progress on stderr`,
  run: exportRuns,
};
