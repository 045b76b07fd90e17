/**
 * The run explorer's answers, shared by the HTTP API and the CLI so both show the same thing.
 * Everything is scoped to one tenant: another tenant's run is simply not found. Twice over: each
 * query filters on the tenant, and runs inside withTenant (role revos_tenant, row-level security
 * keyed on the tenant), so a filter forgotten here still returns no other tenant's rows.
 */
import { findRun, findRunEvents, findRunTasks, findRunTree, withTenant, type Db, type EventView, type RunView, type StoredOutput, type TaskView } from '@revos/db';
import type { ExternalCall } from '@revos/envelope';
import { EVENT_TIMES, RUN_TIMES, TASK_TIMES, withRfc3339 } from './timestamps.js';

/** A run without its envelope and output (which may be large and carry PHI): for lists and trees. */
export type RunSummary = Omit<RunView, 'envelope' | 'output'>;

export interface RunTreeNode extends RunSummary {
  children: RunTreeNode[];
}

/** A run with its events and tasks. `Run` is the run as stored, or as an operator may see it (operator.ts). */
export interface RunDetail<Run extends RunSummary = RunView> {
  run: Run;
  events: EventView[];
  /** audit.external_calls of the run's output; empty while the run has no output. */
  external_calls: ExternalCall[];
  tasks: TaskView[];
}

export interface RunTree {
  root_run_id: string;
  /** Every run of the lineage, in acceptance order. */
  runs: RunSummary[];
  /** The same runs nested under the root by parent_run_id. */
  tree: RunTreeNode;
}

/** One run of the tenant with its events and tasks (one tenant-scoped transaction), or null. */
export async function runDetail(db: Db, tenantId: string, runId: string): Promise<RunDetail | null> {
  return withTenant(db.sql, tenantId, async (tx) => {
    const run = await findRun(tx, tenantId, runId);
    if (!run) return null;
    const [events, tasks] = await Promise.all([findRunEvents(tx, tenantId, runId), findRunTasks(tx, tenantId, runId)]);
    return {
      run: withRfc3339(run, RUN_TIMES),
      events: events.map((e) => withRfc3339(e, EVENT_TIMES)),
      external_calls: externalCalls(run.output),
      tasks: tasks.map((t) => withRfc3339(t, TASK_TIMES)),
    };
  });
}

/** The lineage of one run of the tenant (tenant-scoped), or null. */
export async function runTree(db: Db, tenantId: string, runId: string): Promise<RunTree | null> {
  const rows = await withTenant(db.sql, tenantId, (tx) => findRunTree(tx, tenantId, runId));
  if (rows.length === 0) return null;
  const runs = rows.map((row) => withRfc3339(summarise(row), RUN_TIMES));
  return { root_run_id: rows[0]!.root_run_id, runs, tree: nest(runs, rows[0]!.root_run_id) };
}

export function summarise(run: RunView): RunSummary {
  const { envelope: _envelope, output: _output, ...summary } = run;
  return summary;
}

function externalCalls(output: StoredOutput): ExternalCall[] {
  return output?.audit.external_calls ?? [];
}

/**
 * Nests the lineage under its root. A run whose parent is not in the set (it cannot happen with
 * the dispatcher's lineage, but rows are data) hangs under the root rather than being dropped.
 */
function nest(runs: RunSummary[], rootRunId: string): RunTreeNode {
  const nodes = new Map(runs.map((r) => [r.workflow_run_id, { ...r, children: [] as RunTreeNode[] }]));
  const root = nodes.get(rootRunId) ?? nodes.values().next().value!;
  for (const node of nodes.values()) {
    if (node === root) continue;
    const parent = (node.parent_run_id && nodes.get(node.parent_run_id)) || root;
    parent.children.push(node);
  }
  return root;
}

/** Depth-first walk of a tree with each node's depth (the CLI's indented listing). */
export function* walkTree(node: RunTreeNode, depth = 0): Generator<{ node: RunTreeNode; depth: number }> {
  yield { node, depth };
  for (const child of node.children) yield* walkTree(child, depth + 1);
}
