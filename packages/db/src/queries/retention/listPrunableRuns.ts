import type { Sql } from '../../client.js';
import { ownRetentionCte, prunableRunsCte, type RetentionPolicy } from './retention-policy.js';

export interface PrunableRun {
  workflowRunId: string;
  tenantId: string;
  idempotencyKey: string;
  /** The run's BullMQ job: removed from Redis before the rows go (see the runtime's prune pass). */
  jobId: string;
  lane: string;
}

/** The oldest batch of runs past their tenant's retention that nothing still needs. Reads only. */
export async function listPrunableRuns(sql: Sql, policy: RetentionPolicy, limit: number): Promise<PrunableRun[]> {
  const rows = await sql<{ workflow_run_id: string; tenant_id: string; idempotency_key: string; job_id: string; lane: string }[]>`
    with ${ownRetentionCte(sql, policy)}, ${prunableRunsCte(sql, policy)}
    select workflow_run_id, tenant_id, idempotency_key, job_id, lane from prunable order by accepted_at limit ${limit}`;
  return rows.map((r) => ({ workflowRunId: r.workflow_run_id, tenantId: r.tenant_id, idempotencyKey: r.idempotency_key, jobId: r.job_id, lane: r.lane }));
}
