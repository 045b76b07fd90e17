/**
 * The shapes the producer API takes and answers, as plain types: the client has no dependencies,
 * so no zod here. test/client/client.contracts.test.ts holds them equal to the producer's zod
 * contracts (apps/producer/src/api-description/contracts.ts), so they cannot drift apart.
 */

/**
 * Payload type per workflow name: the type parameter of {@link RevosClient}. Write your own as a
 * type literal (`type Mine = { WF99_Custom: { note: string } }`); submitRun then accepts only
 * those names, each with its own payload.
 */
export type WorkflowPayloads = Record<string, object>;

export type TriggerSource = 'voice' | 'sms' | 'email' | 'ui' | 'cron' | 'webhook' | 'workflow';
export type PrivacyMode = 'standard' | 'phi_minimized';
export type Priority = 'high' | 'normal' | 'low';

/** Envelope meta as a caller submits it: what intake fills (ids, timestamp, version, key) may be left out. */
export interface SubmitMeta<Name extends string = string> {
  workflow_name: Name;
  /** Absent: the newest registered version. */
  workflow_version?: string;
  trigger_source: TriggerSource;
  /** What started the run (a form id, a message id): with the payload it makes the idempotency key. */
  trigger_id: string;
  environment: 'prod' | 'staging';
  privacy_mode: PrivacyMode;
  workflow_run_id?: string;
  parent_run_id?: string | null;
  root_run_id?: string;
  idempotency_key?: string;
  timestamp_utc?: string;
  /** Absent: the API key's tenant. Another tenant is refused (403). */
  tenant_id?: string;
  location_id?: string | null;
  policy_version?: string | null;
  feature_flags_version?: string | null;
  correlation_id?: string;
}

export interface Subject {
  patient_id?: string | null;
  lead_id?: string | null;
  conversation_id?: string | null;
  staff_user_id?: string | null;
  owner_user_id?: string | null;
}

export interface EnvelopeContext {
  tenant_ruleset_json?: Record<string, unknown>;
  feature_flags?: Record<string, unknown>;
  context_pack?: Record<string, unknown>;
  evidence_pack_ref?: string;
  recent_events_ref?: string;
}

export interface RunOptions {
  priority?: Priority;
  /** Not before this time (ISO-8601, any offset). */
  run_after_utc?: string | null;
}

/** The body of POST /v1/runs for workflow `Name`, its payload typed by `Payloads`. */
export interface SubmitRunBody<Payloads extends WorkflowPayloads, Name extends keyof Payloads & string> {
  meta: SubmitMeta<Name>;
  /** Absent: `{}` (a run about no one in particular). */
  subject?: Subject;
  payload: Payloads[Name];
  context?: EnvelopeContext;
  options?: RunOptions;
}

/** 202 queued (a new run) or 200 duplicate (the key was accepted before: the first run). */
export interface RunAccepted {
  status: 'queued' | 'duplicate';
  workflow_run_id: string;
  root_run_id: string;
  idempotency_key: string;
  job_id: string;
  /** With `waitMs`: the run's status when the answer was given. */
  run_status?: string;
  /** With `waitMs`, once the run ended within it: its output contract as stored. */
  output?: unknown;
}

/** One problem with one field: `path` dotted (`payload.slot_start`), `rule` machine-readable (`required`). */
export interface FieldIssue {
  path: string;
  rule: string;
  message: string;
}

export interface RunSummary {
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
  /** queued | running | ok | noop | retry | failed | blocked */
  status: string;
  failure_code: string | null;
  failure_stage: string | null;
  retry_count: number;
  latency_ms: number | null;
  latency_breach: boolean;
  accepted_at: string;
  started_at: string | null;
  ended_at: string | null;
}

export interface RunRecord extends RunSummary {
  /** The envelope as stored (redacted for phi_minimized runs). */
  envelope: unknown;
  /** The output contract (meta_out, result, audit), or null while the run has none. */
  output: unknown;
}

export interface EventRecord {
  event_id: string;
  event_type: string;
  direction: string;
  payload_ref: string;
  payload: unknown;
  effect_name: string | null;
  occurred_at: string;
}

export interface TaskRecord {
  task_id: string;
  workflow_run_id: string;
  kind: string;
  failure_code: string | null;
  reason: string;
  status: string;
  created_at: string;
}

export interface RunDetail {
  run: RunRecord;
  events: EventRecord[];
  external_calls: unknown[];
  tasks: TaskRecord[];
}

export interface RunTreeNode extends RunSummary {
  children: RunTreeNode[];
}

export interface RunTree {
  root_run_id: string;
  runs: RunSummary[];
  tree: RunTreeNode;
}

export interface WorkflowInfo {
  name: string;
  version: string;
  latest: boolean;
  lane: 'realtime' | 'interactive' | 'batch';
  channel: 'voice' | 'sms' | 'email' | 'ui' | 'batch';
  latency_budget_ms: number | null;
  outbound: 'sms' | 'voice' | 'email' | 'payment' | null;
  /** JSON Schema (2020-12) of the payload. */
  payload_schema: Record<string, unknown>;
}
