import type { Queryable } from '../../client.js';

export interface RunAcceptanceCheck {
  idempotencyKey: string;
  workflowRunId: string;
  tenantId: string;
  workflowName: string;
  /** sha256 of the job's envelope (`envelopeHash`, or of the raw job data when it is not a valid envelope). */
  envelopeHash: string;
}

/**
 * Whether intake accepted this run with this envelope: the same rule as the claim's `accepted` step
 * (claimIdempotencyKeys), for the attempts that end before claiming (an invalid payload, an unknown
 * version, a key made for another payload). Protects the run table, the tasks and the outbox from a
 * job that reached the queue past intake: such a job writes nothing but an alert.
 */
export async function isRunAccepted(sql: Queryable, c: RunAcceptanceCheck): Promise<boolean> {
  const rows = await sql`
    select 1 from accepted_runs
     where idempotency_key = ${c.idempotencyKey} and workflow_run_id = ${c.workflowRunId}
       and tenant_id = ${c.tenantId} and workflow_name = ${c.workflowName}
       and (envelope_hash = ${c.envelopeHash} or envelope_hash is null)`;
  return rows.length === 1;
}
