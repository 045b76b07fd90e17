import type { Sql } from '../../client.js';

export interface UnsettledRun {
  idempotencyKey: string;
  workflowRunId: string;
  jobId: string;
  lane: string;
  priority: 'high' | 'normal' | 'low' | null;
  runAfter: Date | null;
  envelope: unknown;
  /** phi_minimized: the submitted envelope, sealed (the stored `envelope` is redacted). */
  sealedEnvelope: string | null;
  /** The traceparent the run's job was first enqueued with (null when tracing was off). */
  traceContext: string | null;
}

/**
 * For the reconciler: first marks settled every accepted run that reached a
 * final status (so later sweeps skip it), then returns the oldest unsettled
 * ones accepted more than `graceMs` ago: each must still have a job in Redis.
 */
export async function listUnsettledRuns(sql: Sql, graceMs: number, limit: number): Promise<UnsettledRun[]> {
  await sql`
    update accepted_runs a set settled_at = now(), sealed_envelope = null
      from workflow_runs r
     where a.settled_at is null and r.workflow_run_id = a.workflow_run_id
       and r.status in ('ok', 'noop', 'failed', 'blocked')`;
  const rows = await sql<
    { idempotency_key: string; workflow_run_id: string; job_id: string; lane: string; priority: UnsettledRun['priority']; run_after: string | null; envelope: unknown; sealed_envelope: string | null; trace_context: string | null }[]
  >`
    select a.idempotency_key, a.workflow_run_id, a.job_id, a.lane, a.priority, a.run_after::text as run_after, run_envelope(r) as envelope,
           a.sealed_envelope, a.trace_context
      from accepted_runs a join workflow_runs r on r.workflow_run_id = a.workflow_run_id
     where a.settled_at is null and a.accepted_at < now() - ${graceMs} * interval '1 millisecond'
     order by a.accepted_at
     limit ${limit}`;
  return rows.map((r) => ({
    idempotencyKey: r.idempotency_key,
    workflowRunId: r.workflow_run_id,
    jobId: r.job_id,
    lane: r.lane,
    priority: r.priority,
    runAfter: r.run_after ? new Date(r.run_after) : null,
    envelope: r.envelope,
    sealedEnvelope: r.sealed_envelope,
    traceContext: r.trace_context,
  }));
}
