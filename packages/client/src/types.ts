/**
 * The shapes the producer API takes and answers, as plain types: the client has no dependencies,
 * so no zod here. The answers (RunAccepted, FieldIssue, RunSummary, RunRecord, EventRecord,
 * TaskRecord, RunDetail, RunTreeNode, RunTree, WorkflowInfo) are generated from the producer's zod
 * contracts into contracts.generated.ts (`npm run generate:client`, checked by
 * test/client/client.contracts.test.ts); what a caller submits is written here.
 */
export type * from './contracts.generated.js';

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
