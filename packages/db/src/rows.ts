/**
 * The rows the read queries return, in one place. Columns keep their SQL names (the API and the CLI
 * print them as they are); timestamps read as `::text` are strings. The run's two JSON documents are
 * typed as the contracts they hold, from the schema's `$type` (no cast at the reader).
 */
import type { TaskResolution, TaskStatus } from '@revos/envelope';
import type { ConsentStatus } from './queries/consents.js';
import type { workflowRuns } from './schema.js';

type StoredRun = typeof workflowRuns.$inferSelect;
/** `workflow_runs.envelope`: the envelope as accepted (a phi_minimized run's with PHI tokenized). */
export type StoredEnvelope = StoredRun['envelope'];
/** `workflow_runs.output`: the output contract; null until the run ends. */
export type StoredOutput = StoredRun['output'];

// ---- runs and what hangs off them (queries/runs.ts: the API's and the CLI's views)

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

// ---- finding a run from any id (queries/findRunByAnyId.ts)

/** Which kind of id led to the run (shown to the operator, so a surprising match is visible). */
export type RunIdKind = 'workflow_run_id' | 'idempotency_key' | 'job_id' | 'correlation_id' | 'trigger_id' | 'event_id' | 'task_id' | 'outbox_id';

export interface RunLocation {
  tenant_id: string;
  workflow_run_id: string;
  matched: RunIdKind;
}

// ---- tasks (queries/transitionTask.ts, listTasks.ts, countOpenTasks.ts)

export interface TaskRow {
  task_id: string;
  tenant_id: string;
  workflow_run_id: string;
  root_run_id: string;
  idempotency_key: string;
  kind: string;
  failure_code: string | null;
  reason: string;
  status: TaskStatus;
  claimed_by: string | null;
  claimed_at: string | null;
  resolution: TaskResolution | null;
  resolution_note: string | null;
  resolved_by: string | null;
  created_at: string;
  closed_at: string | null;
}

export interface ListedTask extends TaskRow {
  workflow_name: string | null;
  /** Seconds since the task was opened: what an operator sorts by. */
  age_s: number;
}

export interface OpenTaskCount {
  kind: string;
  failure_code: string | null;
  n: number;
}

// ---- consents (queries/listConsents.ts)

export interface ConsentRow {
  target: 'subject' | 'address';
  /** The subject id or the E.164 address. */
  id: string;
  channel: string;
  status: ConsentStatus;
  source: string | null;
  evidence_ref: string | null;
  updated_by: string | null;
  updated_at: string;
}

// ---- health signals for alerts and metrics (queries/healthSignals.ts, oldestWaitingRunByLane.ts)

export interface WorkflowFailureRate {
  workflow_name: string;
  /** Runs that reached a final status within the window. */
  total: number;
  failed: number;
}

export interface PendingOutboxEntry {
  outbox_id: string;
  tenant_id: string;
  parent_run_id: string;
  root_run_id: string;
  workflow: string;
  attempts: number;
  last_error: string | null;
  age_s: number;
}

export interface LaneWaitAge {
  lane: string;
  /** Seconds the oldest due run of the lane has waited for its first outcome. */
  age_s: number;
}

// ---- lists (queries/listFailedRuns.ts, listOpenTasks.ts, listRunEffects.ts)

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

export interface OpenTaskRow {
  task_id: string;
  tenant_id: string;
  workflow_run_id: string;
  root_run_id: string;
  workflow_name: string | null;
  kind: string;
  /** `open`, or `claimed` while someone works on it (still not done). */
  status: 'open' | 'claimed';
  claimed_by: string | null;
  failure_code: string | null;
  reason: string;
  created_at: string;
}

/** A journaled effect of one run, as the CLI reads an export's progress. */
export interface RunEffectRow {
  effect_name: string;
  state: string;
  result: unknown;
}

// ---- whole documents, for the export (WF54) and the compliance scan (WF84)

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
