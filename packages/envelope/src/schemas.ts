import { z } from "zod";
import { FailureCode, FailureStage } from "./errors.js";
import { RUN_ID_RE } from "./ids.js";
import { idempotencyKeyIssues, TENANT_ID_RE, triggerIdProblem, tryParseIdempotencyKey } from "./idempotency-key.js";
import { MAX_SEMVER_LENGTH, SEMVER_RE, WORKFLOW_NAME_RE } from "./naming.js";

/*
 * Strictness: every contract object is `.strict()`: an unknown key is an issue (rule
 * `unknown_key`), never silently dropped, so a typo such as `patient_Id` or `failure_resaon` fails
 * loudly instead of losing a subject or a failure reason. Only the free-form JSON records
 * (payload, primary_outputs, context packs, next action payloads) accept any key.
 */

// ---------------------------------------------------------------- enums

/** Where a run came from. `workflow` is our extension: follow-up runs the dispatcher creates from `next_actions`. */
export const TriggerSource = z.enum(["voice", "sms", "email", "ui", "cron", "webhook", "workflow"]);
export type TriggerSource = z.infer<typeof TriggerSource>;

export const Environment = z.enum(["prod", "staging"]);
export type Environment = z.infer<typeof Environment>;

/** Convention §7: `phi_minimized` means store only what is necessary and redact aggressively. */
export const PrivacyMode = z.enum(["standard", "phi_minimized"]);
export type PrivacyMode = z.infer<typeof PrivacyMode>;

/** `ok`/`noop` are successes; `blocked`/`retry`/`failed` are not (enforced by {@link OutputContract}). */
export const ResultStatus = z.enum(["ok", "noop", "blocked", "retry", "failed"]);
export type ResultStatus = z.infer<typeof ResultStatus>;

export const Priority = z.enum(["high", "normal", "low"]);
export type Priority = z.infer<typeof Priority>;

export const ConsentResult = z.enum(["allow", "deny"]);
export type ConsentResult = z.infer<typeof ConsentResult>;


// ---------------------------------------------------------------- building blocks

/** `^{prefix}[A-Za-z0-9_-]{1,80}$`: the shape of every prefixed reference id. */
function prefixedIdPattern(prefix: string): RegExp {
  return new RegExp(`^${prefix}[A-Za-z0-9_-]{1,80}$`);
}

function prefixedId(prefix: string) {
  return z.string().regex(prefixedIdPattern(prefix));
}

/** A patient id (`p_…`), as `subject.patient_id` takes it: import it rather than retyping the pattern. */
export const PATIENT_ID_RE = prefixedIdPattern("p_");
/** A lead id (`l_…`), as `subject.lead_id` takes it. */
export const LEAD_ID_RE = prefixedIdPattern("l_");

/** ISO-8601 UTC timestamp ending in `Z` (seconds required, any fraction). */
export const UtcTimestamp = z.iso.datetime({ offset: false, local: false });
export type UtcTimestamp = z.infer<typeof UtcTimestamp>;

export const WorkflowName = z.string().regex(WORKFLOW_NAME_RE);
export const WorkflowVersion = z.string().max(MAX_SEMVER_LENGTH).regex(SEMVER_RE);
export const RunId = z.string().regex(RUN_ID_RE);
export const TenantId = z.string().regex(TENANT_ID_RE);
export const CorrelationId = prefixedId("corr_");

/** `sha256_` + 64 lowercase hex: `inputs_hash` / `outputs_hash` (see `contractHash`). */
export const ContractHash = z.string().regex(/^sha256_[0-9a-f]{64}$/);

/** 1..200 characters, no control characters, valid Unicode: the same rule as the key's trigger id. */
export const TriggerId = z.string().superRefine((s, ctx) => {
  const problem = triggerIdProblem(s);
  if (problem) ctx.addIssue({ code: "custom", message: problem.message, params: { rule: problem.rule } });
});

/** A string that parses as `idem:{tenant_id}:{workflow_name}:{trigger_id}:{payload_hash}`. */
export const IdempotencyKey = z.string().superRefine((s, ctx) => {
  for (const issue of idempotencyKeyIssues(s)) {
    // Rules are prefixed with the key's part so the field's own path still says which component broke.
    const rule = issue.path ? `idempotency_key.${issue.path}:${issue.rule}` : issue.rule;
    ctx.addIssue({ code: "custom", message: issue.message, params: { rule } });
  }
});

/**
 * The path of the first value in `value` that is not JSON, or null. `trail` is the walk's current
 * path, pushed and popped as it goes (no array per member): it is copied only for the answer.
 */
function firstNonJsonPath(value: unknown, trail: (string | number)[], seen: Set<object>): (string | number)[] | null {
  switch (typeof value) {
    case "string":
    case "boolean":
      return null;
    case "number":
      return Number.isFinite(value) ? null : trail.slice();
    case "object":
      break;
    default:
      return trail.slice();
  }
  if (value === null) return null;
  if (seen.has(value)) return trail.slice();
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const element: unknown = value[i];
        trail.push(i);
        const bad = element === undefined ? trail.slice() : firstNonJsonPath(element, trail, seen);
        trail.pop();
        if (bad) return bad;
      }
      return null;
    }
    const proto: unknown = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return trail.slice();
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      const member = record[key];
      // Undefined properties are dropped by JSON and by canonicalJson alike.
      if (member === undefined) continue;
      trail.push(key);
      const bad = firstNonJsonPath(member, trail, seen);
      trail.pop();
      if (bad) return bad;
    }
    return null;
  } finally {
    seen.delete(value);
  }
}

/**
 * A JSON object: a plain object (not an array, null, Date, Map or class instance) whose values are
 * JSON all the way down, so it hashes with `canonicalJson` and survives the queue unchanged.
 * Properties set to `undefined` are allowed (JSON drops them).
 */
export const JsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const bad = firstNonJsonPath(value, [], new Set());
  if (bad) ctx.addIssue({ code: "custom", path: bad, message: "value is not JSON (finite numbers, strings, booleans, null, arrays, plain objects)", params: { rule: "type:json" } });
});
export type JsonObject = z.infer<typeof JsonObject>;

// ---------------------------------------------------------------- input: the envelope (convention §1)

/**
 * `meta` of the universal envelope. Beyond field shapes, the idempotency key must belong to this
 * run: its tenant and workflow must equal `meta.tenant_id` / `meta.workflow_name` (a key from
 * another tenant or workflow would dedupe against someone else's run). Its trigger id is not
 * compared: it names the dedupe identity, which a retry or follow-up run may inherit while
 * `meta.trigger_id` names what started this particular run.
 */
export const EnvelopeMeta = z
  .object({
    workflow_name: WorkflowName,
    workflow_version: WorkflowVersion,
    workflow_run_id: RunId,
    parent_run_id: RunId.nullable().optional(),
    root_run_id: RunId,
    idempotency_key: IdempotencyKey,
    trigger_source: TriggerSource,
    trigger_id: TriggerId,
    timestamp_utc: UtcTimestamp,
    /**
     * Our extension: when the trigger reached the fleet (the webhook request's arrival, the API call,
     * the cron slot, the dispatch of a follow-up). Written by intake, never taken from a caller; the
     * latency clock and the budget run from it (see `runClockStart` in @revos/runtime).
     */
    accepted_at_utc: UtcTimestamp.optional(),
    tenant_id: TenantId,
    location_id: prefixedId("loc_").nullable().optional(),
    environment: Environment,
    policy_version: prefixedId("pol_").nullable().optional(),
    feature_flags_version: prefixedId("ff_").nullable().optional(),
    privacy_mode: PrivacyMode,
    correlation_id: CorrelationId,
  })
  .strict()
  .superRefine((meta, ctx) => {
    const parts = tryParseIdempotencyKey(meta.idempotency_key);
    if (!parts) return;
    if (parts.tenant_id !== meta.tenant_id) {
      ctx.addIssue({ code: "custom", path: ["idempotency_key"], message: "idempotency_key belongs to another tenant than meta.tenant_id", params: { rule: "mismatch:tenant_id" } });
    }
    if (parts.workflow_name !== meta.workflow_name) {
      ctx.addIssue({ code: "custom", path: ["idempotency_key"], message: "idempotency_key belongs to another workflow than meta.workflow_name", params: { rule: "mismatch:workflow_name" } });
    }
  });
export type EnvelopeMeta = z.infer<typeof EnvelopeMeta>;

/** Who the run is about. Every id is optional; `{}` is a valid subject. */
export const Subject = z
  .object({
    patient_id: prefixedId("p_").nullable().optional(),
    lead_id: prefixedId("l_").nullable().optional(),
    conversation_id: prefixedId("c_").nullable().optional(),
    staff_user_id: prefixedId("u_").nullable().optional(),
    owner_user_id: prefixedId("u_").nullable().optional(),
  })
  .strict();
export type Subject = z.infer<typeof Subject>;

/** Workflow-specific input: a JSON object; each workflow narrows it with its own schema. */
export const Payload = JsonObject;
export type Payload = z.infer<typeof Payload>;

/** Optional context attached by the dispatcher (convention §1 D). */
export const EnvelopeContext = z
  .object({
    tenant_ruleset_json: JsonObject.optional(),
    feature_flags: JsonObject.optional(),
    context_pack: JsonObject.optional(),
    evidence_pack_ref: prefixedId("evp_").optional(),
    recent_events_ref: prefixedId("rev_").optional(),
  })
  .strict();
export type EnvelopeContext = z.infer<typeof EnvelopeContext>;

/** The universal envelope every workflow accepts. `subject` is required but may be `{}`. */
export const Envelope = z
  .object({
    meta: EnvelopeMeta,
    subject: Subject,
    payload: Payload,
    context: EnvelopeContext.optional(),
  })
  .strict();
export type Envelope = z.infer<typeof Envelope>;

// ---------------------------------------------------------------- output: the contract (convention §2)

/** One call to an outside service, successful or not. */
export const ExternalCall = z
  .object({
    service: z.string().min(1),
    endpoint: z.string().min(1),
    latency_ms: z.number().int().min(0),
    success: z.boolean(),
  })
  .strict();
export type ExternalCall = z.infer<typeof ExternalCall>;

/** One row the run wrote. */
export const DataWritten = z
  .object({
    table: z.string().min(1),
    record_id: z.string().min(1),
  })
  .strict();
export type DataWritten = z.infer<typeof DataWritten>;

/** A follow-up run for the dispatcher. `priority` defaults to `normal`, `run_after_utc` to null (now). */
/**
 * What a next action is:
 * - `CALL_WORKFLOW`: a follow-up run, written to the outbox with the run's outcome and dispatched.
 * - `RETRY_SCHEDULED`: informational, only on a `status=retry` output: BullMQ re-runs this same job
 *   (same key, same run id) at `run_after_utc`. It is never written to the outbox nor dispatched, so a
 *   retry cannot become a second run of the trigger.
 */
export const NextActionKind = z.enum(["CALL_WORKFLOW", "RETRY_SCHEDULED"]);
export type NextActionKind = z.infer<typeof NextActionKind>;

export const NextAction = z
  .object({
    action: NextActionKind,
    workflow: WorkflowName,
    payload: JsonObject,
    priority: Priority.default("normal"),
    run_after_utc: UtcTimestamp.nullable().default(null),
    /**
     * Our extension: the follow-up's own trigger id. Absent, the dispatcher derives it from the parent's
     * key and the action's index (a re-run of the parent makes the same child). Set, the child's key is
     * made from it (and the payload) whichever run asks: a reminder sweep names the appointment and the
     * window, so overlapping sweeps make one text. Ids and hashes only, never PHI: it is stored as is.
     */
    trigger_id: TriggerId.refine((s) => s.length <= 190, { message: "a follow-up's trigger_id must be at most 190 characters (the dispatcher prefixes it)", params: { rule: "too_long" } }).optional(),
    /** Our extension: the follow-up's subject instead of the parent's (a sweep's child is about one patient). */
    subject: Subject.optional(),
  })
  .strict();
export type NextAction = z.infer<typeof NextAction>;
/** What a handler may write: the defaulted fields may be left out. */
export type NextActionInput = z.input<typeof NextAction>;

/**
 * `meta_out`. Extensions to the convention's example: `failure_code` (closed set, see
 * `classifyFailure`) and `latency_breach` (convention §6), both required.
 */
export const MetaOut = z
  .object({
    workflow_name: WorkflowName,
    workflow_version: WorkflowVersion,
    workflow_run_id: RunId,
    root_run_id: RunId,
    idempotency_key: IdempotencyKey,
    started_at_utc: UtcTimestamp,
    ended_at_utc: UtcTimestamp,
    latency_ms: z.number().int().min(0),
    success: z.boolean(),
    failure_stage: FailureStage.nullable(),
    failure_reason: z.string().nullable(),
    failure_code: FailureCode.nullable(),
    outputs_hash: ContractHash,
    inputs_hash: ContractHash,
    retry_count: z.number().int().min(0),
    latency_breach: z.boolean(),
  })
  .strict();
export type MetaOut = z.infer<typeof MetaOut>;

/** `result`. `next_actions` is required even when empty (checklist): no default on purpose. */
export const ResultBlock = z
  .object({
    status: ResultStatus,
    summary: z.string().min(1).max(500),
    primary_outputs: JsonObject,
    next_actions: z.array(NextAction),
  })
  .strict();
export type ResultBlock = z.infer<typeof ResultBlock>;

/** `audit`. `data_written` and `external_calls` are required even when empty. */
export const Audit = z
  .object({
    phi_touched: z.boolean(),
    consent_checked: z.boolean(),
    consent_result: ConsentResult.nullable(),
    disclaimer_used: z.boolean(),
    data_written: z.array(DataWritten),
    external_calls: z.array(ExternalCall),
  })
  .strict();
export type Audit = z.infer<typeof Audit>;

const SUCCESS_STATUSES: ReadonlySet<ResultStatus> = new Set(["ok", "noop"]);

/**
 * The mandatory output contract. Required fields carry the convention's "Minimum Required Output
 * Fields Checklist"; the refinement adds what a shape cannot say:
 * - `success=false` ⇒ non-empty `failure_reason`, non-null `failure_stage` and `failure_code`;
 * - `success=true` ⇒ all three null (a stale reason would mislead incident response);
 * - `status` ok|noop ⇔ `success=true`; blocked|retry|failed ⇔ `success=false`;
 * - `ended_at_utc` ≥ `started_at_utc`.
 */
export const OutputContract = z
  .object({
    meta_out: MetaOut,
    result: ResultBlock,
    audit: Audit,
  })
  .strict()
  .superRefine((out, ctx) => {
    const m = out.meta_out;
    const issue = (field: string, rule: string, message: string) =>
      ctx.addIssue({ code: "custom", path: ["meta_out", field], message, params: { rule } });

    if (m.success) {
      if (m.failure_reason !== null) issue("failure_reason", "null_when_success", "failure_reason must be null when success is true");
      if (m.failure_stage !== null) issue("failure_stage", "null_when_success", "failure_stage must be null when success is true");
      if (m.failure_code !== null) issue("failure_code", "null_when_success", "failure_code must be null when success is true");
    } else {
      if (m.failure_reason === null || m.failure_reason.trim() === "") {
        issue("failure_reason", "required", "failure_reason is required when success is false");
      }
      if (m.failure_stage === null) issue("failure_stage", "required", "failure_stage is required when success is false");
      if (m.failure_code === null) issue("failure_code", "required", "failure_code is required when success is false");
    }

    const statusIsSuccess = SUCCESS_STATUSES.has(out.result.status);
    if (statusIsSuccess !== m.success) {
      issue("success", "status_mismatch", `success must be ${statusIsSuccess} when result.status is ${out.result.status}`);
    }

    out.result.next_actions.forEach((a, i) => {
      if (a.action === "RETRY_SCHEDULED" && out.result.status !== "retry") {
        ctx.addIssue({ code: "custom", path: ["result", "next_actions", i, "action"], message: "RETRY_SCHEDULED belongs only to a status=retry output", params: { rule: "retry_only" } });
      }
    });

    if (Date.parse(m.ended_at_utc) < Date.parse(m.started_at_utc)) {
      issue("ended_at_utc", "ended_before_started", "ended_at_utc must not be before started_at_utc");
    }
  });
export type OutputContract = z.infer<typeof OutputContract>;
/** What a handler/runtime may build before parsing (defaults not yet applied). */
export type OutputContractInput = z.input<typeof OutputContract>;
