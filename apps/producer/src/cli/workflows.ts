/**
 * `revos workflows versions`: per workflow and version, the runs a release must still serve. PostgreSQL
 * is the authority on which versions accepted, unfinished runs name (`unfinished`: a run Redis lost is
 * still counted, and the reconciler enqueues it again); BullMQ says where their jobs are now (queued,
 * delayed, in flight), a snapshot read job by job. `served` is how this release's catalog (the reference
 * workflows and WORKFLOWS_MODULE, as the workers must load) runs them.
 */
import { countUnfinishedRunsByVersion } from '@revos/db';
import { compareVersions, countQueuedByVersion, isRetiredVersion, type ManifestCatalog, type QueuedState } from '@revos/runtime';
import { allowOnly, noMorePositionals, type Parsed } from './args.js';
import { subcommand, type CommandContext, type CommandGroup } from './command.js';
import { table } from './format.js';

/** current: the version new runs get; kept: an older version with its own handler; upgrade→X: retired, run by X; missing: not in this release. */
type Served = 'current' | 'kept' | `upgrade→${string}` | 'missing';

export interface VersionRow {
  workflow: string;
  version: string;
  served: Served;
  unfinished: number;
  queued: number;
  delayed: number;
  in_flight: number;
}

function servedBy(catalog: ManifestCatalog, workflow: string, version: string): Served {
  const entry = catalog.get(workflow, version);
  if (!entry) return 'missing';
  if (isRetiredVersion(entry)) return `upgrade→${entry.upgradeTo}`;
  return catalog.latest(workflow)?.version === version ? 'current' : 'kept';
}

async function versions(args: Parsed, { session, out }: CommandContext): Promise<void> {
  const command = 'workflows versions';
  allowOnly(args, command, ['workflow']);
  noMorePositionals(args, command, 2);
  const catalog = session.catalog();
  const [unfinished, queued] = await Promise.all([(async () => countUnfinishedRunsByVersion((await session.db()).sql))(), countQueuedByVersion(session.queues())]);
  const rows = new Map<string, VersionRow>();
  const row = (workflow: string, version: string): VersionRow => {
    const id = `${workflow}@${version}`;
    let r = rows.get(id);
    if (!r) rows.set(id, (r = { workflow, version, served: servedBy(catalog, workflow, version), unfinished: 0, queued: 0, delayed: 0, in_flight: 0 }));
    return r;
  };
  for (const wf of catalog.list()) row(wf.name, wf.version);
  for (const u of unfinished) row(u.workflowName, u.workflowVersion).unfinished += u.unfinished;
  const column: Record<QueuedState, 'queued' | 'delayed' | 'in_flight'> = { queued: 'queued', delayed: 'delayed', in_flight: 'in_flight' };
  for (const q of queued) row(q.workflowName, q.workflowVersion)[column[q.state]] += q.jobs;
  const listed = [...rows.values()]
    .filter((r) => args.workflow === undefined || r.workflow === args.workflow)
    .sort((a, b) => a.workflow.localeCompare(b.workflow) || compareVersions(a.version, b.version));
  if (args.json) return out(JSON.stringify({ versions: listed }));
  const missing = listed.filter((r) => r.served === 'missing' && r.unfinished + r.queued + r.delayed + r.in_flight > 0);
  out(table([
    ['WORKFLOW', 'VERSION', 'SERVED', 'UNFINISHED', 'QUEUED', 'DELAYED', 'IN_FLIGHT'],
    ...listed.map((r) => [r.workflow, r.version, r.served, String(r.unfinished), String(r.queued), String(r.delayed), String(r.in_flight)]),
  ]));
  out('unfinished: accepted runs not yet finished (PostgreSQL, authoritative); queued/delayed/in_flight: their jobs in Redis now');
  if (missing.length > 0) {
    out(`not served by this release: ${missing.map((r) => `${r.workflow}@${r.version}`).join(', ')} (keep the version or retire it with an upgrade: docs/defining-workflows.md)`);
  }
}

/** `revos workflows`: the workflow versions this release serves and the runs that still name each. */
export const workflows: CommandGroup = {
  name: 'workflows',
  usage: '  revos workflows versions [--workflow <name>] [--json]',
  async run(args, ctx) {
    subcommand(args, 'workflows', ['versions']);
    return versions(args, ctx);
  },
};
