import {
  contractHash,
  type Audit,
  type Envelope,
  type EnvelopeMeta,
  type FailureCode,
  type FailureStage,
  type NextAction,
  type OutputContract,
  type ResultStatus,
} from '@revos/envelope';

/** What one attempt gathered along the pipeline, turned into the standard output at the end. */
export interface OutputDraft {
  meta: EnvelopeMeta;
  /** When a worker started this attempt (`started_at_utc`). */
  startedAt: Date;
  endedAt: Date;
  /** When the run's latency clock started (the trigger's arrival, see run/latency.ts); `latency_ms` counts from it. */
  clockStart: Date;
  retryCount: number;
  latencyBreach: boolean;
  status: ResultStatus;
  summary: string;
  primaryOutputs: Record<string, unknown>;
  nextActions: NextAction[];
  audit: Audit;
  failure: { code: FailureCode; stage: FailureStage; reason: string } | null;
  inputsHash: string;
}

/**
 * The hash of a run's inputs: what the workflow computes from, without the ids
 * and times that differ between deliveries of the same trigger, so two deliveries
 * of one trigger have one inputs_hash.
 */
export function inputsHashOf(envelope: Pick<Envelope, 'meta' | 'subject' | 'payload' | 'context'>): string {
  return contractHash({
    workflow_name: envelope.meta.workflow_name,
    workflow_version: envelope.meta.workflow_version,
    tenant_id: envelope.meta.tenant_id,
    subject: envelope.subject,
    payload: envelope.payload,
    context: envelope.context ?? null,
  });
}

/** Build_Standard_Output: assemble meta_out/result/audit. `outputs_hash` covers what the run decided. */
export function buildOutput(d: OutputDraft): OutputContract {
  const success = d.status === 'ok' || d.status === 'noop';
  const outputsHash = contractHash({
    status: d.status,
    primary_outputs: d.primaryOutputs,
    next_actions: d.nextActions,
  });
  return {
    meta_out: {
      workflow_name: d.meta.workflow_name,
      workflow_version: d.meta.workflow_version,
      workflow_run_id: d.meta.workflow_run_id,
      root_run_id: d.meta.root_run_id,
      idempotency_key: d.meta.idempotency_key,
      started_at_utc: d.startedAt.toISOString(),
      ended_at_utc: d.endedAt.toISOString(),
      latency_ms: Math.max(0, d.endedAt.getTime() - d.clockStart.getTime()),
      success,
      failure_stage: success ? null : (d.failure?.stage ?? 'core_logic'),
      failure_reason: success ? null : (d.failure?.reason ?? 'unknown failure'),
      failure_code: success ? null : (d.failure?.code ?? 'internal_error'),
      outputs_hash: outputsHash,
      inputs_hash: d.inputsHash,
      retry_count: d.retryCount,
      latency_breach: d.latencyBreach,
    },
    result: {
      status: d.status,
      summary: d.summary.slice(0, 500) || d.status,
      primary_outputs: d.primaryOutputs,
      next_actions: d.nextActions,
    },
    audit: d.audit,
  };
}

export function emptyAudit(): Audit {
  return {
    phi_touched: false,
    consent_checked: false,
    consent_result: null,
    disclaimer_used: false,
    data_written: [],
    external_calls: [],
  };
}
