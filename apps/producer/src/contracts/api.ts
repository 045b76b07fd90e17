/**
 * The shapes of the tenant API's answers, as zod values: the OpenAPI document is generated from
 * them, and the producer's answers are typed by them (one source of truth).
 */
import { ConsentRequest, FeatureFlags, FieldIssue, TaskResolution, TaskStatus, TenantRuleset } from '@revos/envelope';
import type { ConsentRow, EventView, ListedTask, RunView, TaskRow, TaskView } from '@revos/db';
import { z } from 'zod';

/**
 * Marks a field the zod contract leaves open (`z.unknown()`: the producer does not re-check what it
 * stored, and @revos/client keeps it `unknown`) that the OpenAPI document describes by a named
 * component: http/openapi/json-schema.ts turns the mark into a `$ref` (or the ref or null).
 */
export const DOCUMENTED_AS = 'x-revos-component';
export const DOCUMENTED_NULLABLE = 'x-revos-nullable';
const documentedAs = (component: string, nullable = false) => ({ [DOCUMENTED_AS]: component, [DOCUMENTED_NULLABLE]: nullable });

/** Every time the API answers: RFC 3339 with an offset (services/timestamps.ts writes them so). */
const Timestamp = z.iso.datetime({ offset: true }).describe('RFC 3339, e.g. 2026-12-06T02:06:48.256588Z');

/** 202 for a new run, 200 for a duplicate naming the run the key was first accepted as. */
export const RunAccepted = z
  .object({
    status: z.enum(['queued', 'duplicate']),
    workflow_run_id: z.string().describe('The run: a new one (queued) or the first one of this key (duplicate).'),
    root_run_id: z.string(),
    idempotency_key: z.string().describe('idem:{tenant_id}:{workflow_name}:{trigger_id}:{payload_hash}'),
    job_id: z.string().describe('The BullMQ job id: the idempotency key, encoded.'),
    run_status: z.string().optional().describe('With wait_ms: the run\'s status when the answer was given (ok, noop, failed, blocked once it ended; queued, running or retry if the wait ran out).'),
    output: z
      .unknown()
      .meta(documentedAs('OutputContract'))
      .optional()
      .describe('With wait_ms, once the run ended within it: its output contract as stored (redacted for phi_minimized runs).'),
  })
  .strict();
export type RunAccepted = z.infer<typeof RunAccepted>;

/** A refused submission: a machine-readable error and every failing field. */
export const RunRefused = z
  .object({
    error: z.string().describe('invalid_envelope | tenant_mismatch | unknown_workflow | idempotency_conflict | invalid_body | invalid_json | missing_body | invalid_query | unsupported_media_type | …'),
    issues: z.array(FieldIssue),
  })
  .strict();
export type RunRefused = z.infer<typeof RunRefused>;

/** Any other error answer; `message` says more where there is more to say. */
export const ErrorBody = z.object({ error: z.string(), message: z.string().optional() });

/** One registered workflow version, as GET /v1/workflows lists it. */
export const WorkflowInfo = z
  .object({
    name: z.string(),
    version: z.string(),
    /** True for the version a submission without meta.workflow_version runs. */
    latest: z.boolean(),
    lane: z.enum(['realtime', 'interactive', 'batch']),
    channel: z.enum(['voice', 'sms', 'email', 'ui', 'batch']),
    latency_budget_ms: z.number().int().nullable(),
    /** The channel Consent_Check runs for before core logic, or null when the workflow sends nothing out. */
    outbound: z.enum(['sms', 'voice', 'email', 'payment']).nullable(),
    /** JSON Schema (2020-12) of `payload`, as intake checks it. */
    payload_schema: z.record(z.string(), z.unknown()),
  })
  .strict();
export type WorkflowInfo = z.infer<typeof WorkflowInfo>;

export const WorkflowList = z.object({ workflows: z.array(WorkflowInfo) }).strict();
export type WorkflowList = z.infer<typeof WorkflowList>;

const nullableString = z.string().nullable();

/** A run without its envelope and output: the rows of lists and trees. */
export const RunSummary = z.object({
  workflow_run_id: z.string(),
  parent_run_id: nullableString,
  root_run_id: z.string(),
  correlation_id: z.string(),
  tenant_id: z.string(),
  workflow_name: z.string(),
  workflow_version: z.string(),
  idempotency_key: z.string(),
  job_id: z.string(),
  lane: z.string(),
  trigger_source: z.string(),
  privacy_mode: z.string(),
  status: z.string().describe('queued | running | ok | noop | retry | failed | blocked'),
  failure_code: nullableString,
  failure_stage: nullableString,
  retry_count: z.number().int(),
  latency_ms: z.number().int().nullable(),
  latency_breach: z.boolean(),
  accepted_at: Timestamp,
  started_at: Timestamp.nullable(),
  ended_at: Timestamp.nullable(),
});

/** A run with its envelope as stored (redacted for phi_minimized runs) and its output contract. */
export const RunRecord = RunSummary.extend({
  envelope: z.unknown().meta(documentedAs('Envelope')).describe('The envelope as stored (PHI tokenized for phi_minimized runs).'),
  output: z.unknown().meta(documentedAs('OutputContract', true)).describe('The output contract (meta_out, result, audit), or null while the run has none.'),
});

export const EventRecord = z.object({
  event_id: z.string(),
  event_type: z.string(),
  direction: z.string(),
  payload_ref: z.string(),
  payload: z.unknown().describe('The event\'s own JSON, shaped by event_type; null where a phi_minimized run keeps only payload_ref.'),
  effect_name: nullableString,
  occurred_at: Timestamp,
});

export const TaskRecord = z.object({
  task_id: z.string(),
  workflow_run_id: z.string(),
  kind: z.string(),
  failure_code: nullableString,
  reason: z.string(),
  status: z.string(),
  created_at: Timestamp,
});

/**
 * The API serves the database's rows as read, so the row types of @revos/db and these contracts are one
 * shape: a column added to one side only stops the build here instead of drifting (the client's types are
 * generated from these contracts, so three copies became one source and one check).
 */
type SameShape<Row, Contract> = [Exclude<keyof Row, keyof Contract> | Exclude<keyof Contract, keyof Row>] extends [never]
  ? Row extends Contract
    ? true
    : false
  : false;
const rowsMatchContracts: [
  SameShape<RunView, z.infer<typeof RunRecord>>,
  SameShape<EventView, z.infer<typeof EventRecord>>,
  SameShape<TaskView, z.infer<typeof TaskRecord>>,
  SameShape<TaskRow, z.infer<typeof Task>>,
  SameShape<ListedTask, z.infer<typeof ListedTaskRecord>>,
  SameShape<ConsentRow, z.infer<typeof ConsentRecord>>,
] = [true, true, true, true, true, true];
void rowsMatchContracts;

/** GET /v1/runs/{id}. */
export const RunDetail = z.object({
  run: RunRecord,
  events: z.array(EventRecord),
  external_calls: z.array(z.unknown().meta(documentedAs('ExternalCall'))).describe('audit.external_calls of the output; empty while there is none.'),
  tasks: z.array(TaskRecord),
});

export interface RunTreeNodeShape extends z.infer<typeof RunSummary> {
  children: RunTreeNodeShape[];
}
export const RunTreeNode: z.ZodType<RunTreeNodeShape> = RunSummary.extend({
  get children() {
    return z.array(RunTreeNode);
  },
});

/** GET /v1/runs/{id}/tree. */
export const RunTree = z.object({
  root_run_id: z.string(),
  runs: z.array(RunSummary).describe('Every run of the lineage, in acceptance order.'),
  tree: RunTreeNode.describe('The same runs nested under the root by parent_run_id.'),
});

/** GET /v1/policy: the tenant's current ruleset and flags with the versions runs are stamped with. */
export const PolicyView = z
  .object({
    tenant_id: z.string(),
    policy_version: z.string().nullable(),
    feature_flags_version: z.string().nullable(),
    ruleset: TenantRuleset,
    feature_flags: FeatureFlags,
  })
  .strict();

/** PUT /v1/policy: exactly one of ruleset or feature_flags; the change runs as WF07_Change_Policy. */
export const PolicyChangeBody = z
  .object({
    ruleset: TenantRuleset.optional(),
    feature_flags: FeatureFlags.optional(),
    expected_version: z.string().nullable().optional(),
    reason: z.string().min(1).max(200).optional(),
    changed_by: z
      .string()
      .regex(/^[A-Za-z0-9_.@-]{1,80}$/)
      .optional()
      .describe('Your own name for the user who asked: kept as changed_by_label. The change is recorded as by api:<key id>.'),
  })
  .strict();

/** PUT /v1/consents: a subject, an address or both; idempotent, every change an event. */
export const ConsentChange = ConsentRequest;

/**
 * POST /v1/tasks/{id}/{action}: the caller's label for who acted, and for resolve the resolution (sent / not_sent
 * settle an unknown vendor outcome). Who acted is recorded from the API key.
 */
export const TaskActionRequest = z
  .object({
    actor: z
      .string()
      .min(1)
      .max(120)
      .optional()
      .describe('Your own name for the person who acted: stored apart as claimed_by_label / resolved_by_label; the task records api:<key id> as who acted.'),
    resolution: z.enum(['resolved', 'dismissed', 'sent', 'not_sent']).optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

/** A staff task as the task routes answer it (GET /v1/tasks, POST /v1/tasks/{id}/{action}). */
export const Task = z.object({
  task_id: z.string(),
  tenant_id: z.string(),
  workflow_run_id: z.string(),
  root_run_id: z.string(),
  idempotency_key: z.string(),
  kind: z.string(),
  failure_code: nullableString,
  reason: z.string(),
  status: TaskStatus,
  claimed_by: nullableString.describe('Who claimed it, from the credential: api:<key id>, admin:<user>, cli:<operator>.'),
  claimed_by_label: nullableString.describe('The actor label the caller gave (free text).'),
  claimed_at: Timestamp.nullable(),
  resolution: TaskResolution.nullable(),
  resolution_note: nullableString,
  resolved_by: nullableString,
  resolved_by_label: nullableString,
  created_at: Timestamp,
  closed_at: Timestamp.nullable(),
});

export const ListedTaskRecord = Task.extend({
  workflow_name: nullableString,
  age_s: z.number().describe('Seconds since the task was opened.'),
});

/** GET /v1/tasks. */
export const TaskList = z.object({ tasks: z.array(ListedTaskRecord) }).strict();

/** A not_sent settlement re-runs the run with one new call: what became of that. */
export const RerunRecord = z.union([
  z.object({ ok: z.literal(true), workflowRunId: z.string(), repair: z.enum(['enqueued', 'replaced_stale', 'retried', 'in_place']) }).strict(),
  z.object({ ok: z.literal(false), workflowRunId: z.string(), reason: z.enum(['not_found', 'not_reopened']), message: z.string() }).strict(),
]);

/** POST /v1/tasks/{id}/{action}: the task after the change; a repeat of the same action is changed: false. */
export const TaskActionAnswer = z
  .object({
    task: Task,
    changed: z.boolean(),
    event_id: nullableString,
    rerun: RerunRecord.optional(),
  })
  .strict();

/** POST /v1/tasks/{id}/{action} refused (409): the rule, in words, and the task as it is when there is one. */
export const TaskRefused = z
  .object({
    error: z.string().describe('task_claimed | task_done | resolution_not_applicable | no_unsettled_effect | not_unknown | run_in_progress | …'),
    message: z.string(),
    task: Task.optional(),
  })
  .strict();

/** One consent on record, of a subject or an address. */
export const ConsentRecord = z.object({
  target: z.enum(['subject', 'address']),
  id: z.string().describe('The subject id, or the E.164 address.'),
  channel: z.string(),
  status: z.enum(['allow', 'deny']),
  source: nullableString,
  evidence_ref: nullableString,
  updated_by: nullableString,
  updated_at: Timestamp,
});

/** GET /v1/consents: one entry per channel with something recorded. */
export const ConsentList = z.object({ consents: z.array(ConsentRecord) }).strict();

const ConsentChangeSummary = z
  .object({
    id: z.string(),
    channel: z.string(),
    status: z.enum(['allow', 'deny']),
    previous: z.enum(['allow', 'deny']).nullable(),
    changed: z.boolean(),
    event_id: nullableString,
  })
  .strict();

/** PUT /v1/consents: what was recorded for the subject and the address named, and whether anything changed. */
export const ConsentSetAnswer = z
  .object({
    changed: z.boolean(),
    subject: ConsentChangeSummary.optional(),
    address: ConsentChangeSummary.optional(),
  })
  .strict();

/** GET /healthz. */
export const HealthAnswer = z.object({ status: z.enum(['ok', 'unavailable']) }).strict();

