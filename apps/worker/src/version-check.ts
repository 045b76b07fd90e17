/**
 * At start, and on every scrape of its gauge: the workflow versions accepted, unfinished runs still name
 * that this worker's release does not serve (neither kept nor retired with an upgrade). Those runs would
 * fail `unknown_workflow` here, so the release dropped a version too early (docs/operations.md, deploys).
 * Counts and names only: no run, no payload, no PHI.
 */
import { countUnfinishedRunsByVersion, type Db } from '@revos/db';
import type { AnyManifest, Logger, WorkflowCatalog } from '@revos/runtime';

export interface UnservedVersion {
  workflow: string;
  version: string;
  /** Accepted runs naming it that have not finished (PostgreSQL). */
  unfinished: number;
}

/** Versions unfinished runs name that `catalog` cannot run, summed over lanes. */
export async function findUnservedVersions(db: Db, catalog: WorkflowCatalog<AnyManifest>): Promise<UnservedVersion[]> {
  const byVersion = new Map<string, UnservedVersion>();
  for (const row of await countUnfinishedRunsByVersion(db.sql)) {
    if (catalog.get(row.workflowName, row.workflowVersion)) continue;
    const id = `${row.workflowName}@${row.workflowVersion}`;
    const entry = byVersion.get(id) ?? { workflow: row.workflowName, version: row.workflowVersion, unfinished: 0 };
    entry.unfinished += row.unfinished;
    byVersion.set(id, entry);
  }
  return [...byVersion.values()];
}

/** One warn line per unserved version; returns them. A failed read is a warning too, never a failed start. */
export async function warnUnservedVersions(db: Db, catalog: WorkflowCatalog<AnyManifest>, log: Logger): Promise<UnservedVersion[]> {
  let unserved: UnservedVersion[];
  try {
    unserved = await findUnservedVersions(db, catalog);
  } catch (error) {
    log.warn({ err: (error as Error).message }, 'could not check which workflow versions queued runs name');
    return [];
  }
  for (const u of unserved) {
    log.warn(
      { workflow_version: `${u.workflow}@${u.version}`, unfinished_runs: u.unfinished },
      'queued runs name a workflow version this release does not serve: keep it or retire it with an upgrade (docs/defining-workflows.md), or they fail unknown_workflow here',
    );
  }
  return unserved;
}
