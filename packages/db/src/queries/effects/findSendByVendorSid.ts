import type { Queryable } from '../../client.js';

/** The run that created a Twilio message or call, as a status callback about it needs to know. */
export interface VendorSend {
  workflowRunId: string;
  rootRunId: string;
  correlationId: string;
  workflowName: string;
  effectName: string;
  /** The run's subject (ids only: patient_id, lead_id). */
  subject: Record<string, unknown>;
}

/**
 * The completed Twilio effect (a text or a call) whose journaled result names `sid`, with its run,
 * for one tenant (another tenant's message is simply not found). Every Twilio effect journals the
 * vendor's answer as `{ sid, status }`, so this finds the send whichever workflow made it.
 * `effects_twilio_sid_idx` (tenant, result->>'sid', Twilio effects only) answers it by index.
 */
export async function findSendByVendorSid(sql: Queryable, tenantId: string, sid: string): Promise<VendorSend | null> {
  const [row] = await sql<VendorSend[]>`
    select e.workflow_run_id as "workflowRunId", r.root_run_id as "rootRunId", r.correlation_id as "correlationId",
           r.workflow_name as "workflowName", e.effect_name as "effectName", r.envelope->'subject' as subject
      from effects e
      join workflow_runs r on r.workflow_run_id = e.workflow_run_id
     where e.tenant_id = ${tenantId} and e.service = 'twilio' and e.state = 'completed'
       and e.result->>'sid' = ${sid}
     limit 1`;
  return row ?? null;
}
