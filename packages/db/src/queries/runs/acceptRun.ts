import type { Sql } from '../../client.js';
import { storedEnvelopeDocument } from '../../stored-envelope.js';
import { jsonb } from '../json.js';

export interface AcceptRunInput {
  idempotencyKey: string;
  workflowRunId: string;
  parentRunId: string | null;
  rootRunId: string;
  correlationId: string;
  tenantId: string;
  workflowName: string;
  workflowVersion: string;
  jobId: string;
  lane: string;
  triggerSource: string;
  triggerId: string;
  privacyMode: string;
  priority: 'high' | 'normal' | 'low' | null;
  runAfter: Date | null;
  source: string;
  /** The envelope as it will be stored on the run row (redacted for phi_minimized runs; slimmed: stored-envelope.ts). */
  envelope: unknown;
  /** phi_minimized: the envelope as submitted, sealed, for the reconciler; cleared when the run settles. */
  sealedEnvelope?: string | null;
  /** The W3C traceparent the run's job will carry (tracing on), kept for a re-enqueue. */
  traceContext?: string | null;
  /** `envelopeHash` of the envelope the job will carry (the full one): a worker runs only a job carrying it. */
  envelopeHash: string;
}

export type AcceptRunResult =
  | { accepted: true; workflowRunId: string; rootRunId: string }
  /** The key was accepted before: every duplicate is answered with that first run. */
  | { accepted: false; workflowRunId: string; rootRunId: string };

/**
 * Durable intake in one statement: the accepted_runs row (unique per key) and
 * the run's `queued` row, or, for a key seen before, the run it was accepted as.
 * Must commit before the producer answers 2xx and before it enqueues.
 */
export async function acceptRun(sql: Sql, a: AcceptRunInput): Promise<AcceptRunResult> {
  const runAfter = a.runAfter?.toISOString() ?? null;
  const envelope = storedEnvelopeDocument(a.envelope, a);
  const rows = await sql<{ accepted: boolean; workflow_run_id: string; root_run_id: string }[]>`
    with ins as (
      insert into accepted_runs (idempotency_key, workflow_run_id, tenant_id, workflow_name, job_id, lane, priority, run_after,
                                 source, sealed_envelope, trace_context, envelope_hash)
      values (${a.idempotencyKey}, ${a.workflowRunId}, ${a.tenantId}, ${a.workflowName}, ${a.jobId}, ${a.lane}, ${a.priority},
              ${runAfter}::timestamptz, ${a.source}, ${a.sealedEnvelope ?? null}, ${a.traceContext ?? null}, ${a.envelopeHash})
      on conflict (idempotency_key) do nothing
      returning workflow_run_id
    ), run as (
      insert into workflow_runs (workflow_run_id, parent_run_id, root_run_id, correlation_id, tenant_id, workflow_name,
                                 workflow_version, idempotency_key, job_id, lane, trigger_source, trigger_id, privacy_mode,
                                 status, envelope)
      select ${a.workflowRunId}, ${a.parentRunId}, ${a.rootRunId}, ${a.correlationId}, ${a.tenantId}, ${a.workflowName},
             ${a.workflowVersion}, ${a.idempotencyKey}, ${a.jobId}, ${a.lane}, ${a.triggerSource}, ${a.triggerId},
             ${a.privacyMode}, 'queued', ${jsonb(envelope)}::text::jsonb
        from ins
      returning 1
    )
    select true as accepted, ${a.workflowRunId} as workflow_run_id, ${a.rootRunId} as root_run_id from ins
    union all
    select false, p.workflow_run_id, r.root_run_id
      from accepted_runs p join workflow_runs r on r.workflow_run_id = p.workflow_run_id
     where p.idempotency_key = ${a.idempotencyKey} and not exists (select 1 from ins)`;
  let row = rows[0];
  if (!row) {
    // A concurrent acceptance of the same key committed after this statement's snapshot.
    [row] = await sql<{ accepted: boolean; workflow_run_id: string; root_run_id: string }[]>`
      select false as accepted, p.workflow_run_id, r.root_run_id
        from accepted_runs p join workflow_runs r on r.workflow_run_id = p.workflow_run_id
       where p.idempotency_key = ${a.idempotencyKey}`;
    if (!row) throw new Error('accepted run vanished during intake');
  }
  return { accepted: row.accepted, workflowRunId: row.workflow_run_id, rootRunId: row.root_run_id };
}
