/**
 * The rows the run queries return (re-exported by src/rows.ts). The run's two JSON documents are typed
 * as the contracts readers get: whole, rebuilt from the row by run_envelope() and run_output() (the stored
 * columns hold slimmer documents: stored-envelope.ts, stored-output.ts).
 */
import type { Envelope, OutputContract } from '@revos/envelope';

/** A run's envelope as readers get it (`RUN_ENVELOPE`: rebuilt whole from the row; a phi_minimized run's with PHI tokenized). */
export type StoredEnvelope = Envelope;

/** A run's output contract as readers get it (`RUN_OUTPUT`: rebuilt whole from the row); null until the run ends. */
export type StoredOutput = OutputContract | null;

export interface RunView {
  workflow_run_id: string;
  parent_run_id: string | null;
  root_run_id: string;
  correlation_id: string;
  tenant_id: string;
  workflow_name: string;
  workflow_version: string;
  idempotency_key: string;
  job_id: string;
  lane: string;
  trigger_source: string;
  privacy_mode: string;
  status: string;
  failure_code: string | null;
  failure_stage: string | null;
  retry_count: number;
  latency_ms: number | null;
  latency_breach: boolean;
  accepted_at: string;
  started_at: string | null;
  ended_at: string | null;
  envelope: StoredEnvelope;
  output: StoredOutput;
}

export interface EventView {
  event_id: string;
  event_type: string;
  direction: string;
  payload_ref: string;
  payload: unknown;
  effect_name: string | null;
  occurred_at: string;
}

export interface TaskView {
  task_id: string;
  workflow_run_id: string;
  kind: string;
  failure_code: string | null;
  reason: string;
  status: string;
  created_at: string;
}

/** Which kind of id led to the run (shown to the operator, so a surprising match is visible). */
export type RunIdKind = 'workflow_run_id' | 'idempotency_key' | 'job_id' | 'correlation_id' | 'trigger_id' | 'event_id' | 'task_id' | 'outbox_id';

export interface RunLocation {
  tenant_id: string;
  workflow_run_id: string;
  matched: RunIdKind;
}

export interface WorkflowFailureRate {
  workflow_name: string;
  /** Runs that reached a final status within the window. */
  total: number;
  failed: number;
}

export interface LaneWaitAge {
  lane: string;
  /** Seconds the oldest due run of the lane has waited for its first outcome. */
  age_s: number;
}

export interface FailedRunRow {
  workflow_run_id: string;
  root_run_id: string;
  tenant_id: string;
  workflow_name: string;
  status: string;
  failure_code: string | null;
  failure_stage: string | null;
  retry_count: number;
  privacy_mode: string;
  ended_at: string | null;
}

/** One finished run as the dataset export (WF54) reads it. */
export interface ExportRunRow {
  workflow_run_id: string;
  parent_run_id: string | null;
  root_run_id: string;
  workflow_name: string;
  workflow_version: string;
  status: string;
  privacy_mode: string;
  inputs_hash: string | null;
  outputs_hash: string | null;
  latency_ms: number | null;
  retry_count: number;
  latency_breach: boolean;
  accepted_at: Date;
  ended_at: Date;
  /** `ended_at` at full (microsecond) precision: the keyset cursor. */
  ended_at_key: string;
  envelope: StoredEnvelope;
  output: StoredOutput;
}

/** A stored run as the compliance sentinel (WF84) scans it: ids and the two JSON documents. */
export interface PhiScanRunRow {
  workflow_run_id: string;
  workflow_name: string;
  envelope: StoredEnvelope;
  output: StoredOutput;
}

/** A stored event as the sentinel scans it: phi_minimized events should carry no payload at all. */
export interface PhiScanEventRow {
  event_id: string;
  workflow_run_id: string;
  subject: unknown;
  payload: unknown;
}
