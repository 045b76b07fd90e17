import type { Envelope } from '@revos/envelope';

/**
 * The columns every stored row about a run carries, read off its envelope: intake's accepted_runs
 * row and the worker's workflow_runs row must name the run the same way.
 */
export function runIdentity(meta: Envelope['meta']) {
  return {
    workflowRunId: meta.workflow_run_id,
    parentRunId: meta.parent_run_id ?? null,
    rootRunId: meta.root_run_id,
    correlationId: meta.correlation_id,
    tenantId: meta.tenant_id,
    workflowName: meta.workflow_name,
    workflowVersion: meta.workflow_version,
    idempotencyKey: meta.idempotency_key,
    triggerSource: meta.trigger_source,
    triggerId: meta.trigger_id,
    privacyMode: meta.privacy_mode,
  };
}
