import type { AcceptRunInput } from '@revos/db';
import { envelopeHash, toJobId, type Envelope } from '@revos/envelope';

/** What intake passes acceptRun for `envelope`: the row's columns from its meta, unless `columns` says otherwise. */
export function acceptRunInputOf(envelope: Envelope, columns: Partial<AcceptRunInput> = {}): AcceptRunInput {
  const m = envelope.meta;
  return {
    idempotencyKey: m.idempotency_key, workflowRunId: m.workflow_run_id, parentRunId: m.parent_run_id ?? null, rootRunId: m.root_run_id,
    correlationId: m.correlation_id, tenantId: m.tenant_id, workflowName: m.workflow_name, workflowVersion: m.workflow_version,
    jobId: toJobId(m.idempotency_key), lane: 'interactive', triggerSource: m.trigger_source, triggerId: m.trigger_id, privacyMode: m.privacy_mode,
    priority: null, runAfter: null, source: 'api', envelope, envelopeHash: envelopeHash(envelope), ...columns,
  };
}
