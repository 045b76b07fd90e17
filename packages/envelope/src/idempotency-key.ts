import { payloadHash } from "./canonical-json.js";
import { ValidationError, type FieldIssue } from "./issues.js";
import { isWorkflowName } from "./naming.js";

/** `t_` + 1..60 of `[A-Za-z0-9_-]`. No `:`, which the key format relies on. */
export const TENANT_ID_RE = /^t_[A-Za-z0-9_-]{1,60}$/;

/** Longest trigger id, in UTF-16 code units (JavaScript `length`). */
export const MAX_TRIGGER_ID_LENGTH = 200;

/** C0 controls, DEL and C1 controls: invisible in logs and dashboards, and a log-injection vector. */
const CONTROL_CHAR_RE = /[\u0000-\u001F\u007F-\u009F]/;
const LONE_SURROGATE_RE = /\p{Surrogate}/u;

/** 64 lowercase hex characters: the hex SHA-256 of the canonical payload. */
export const PAYLOAD_HASH_RE = /^[0-9a-f]{64}$/;

const PREFIX = "idem:";

/**
 * Upper bound of a key's length: `idem:` (5) + tenant (62) + `:` + workflow (64) + `:` +
 * trigger (200) + `:` + hash (64) = 398 UTF-16 code units. Fits a btree index and a Redis key.
 */
export const MAX_IDEMPOTENCY_KEY_LENGTH = PREFIX.length + 62 + 1 + 64 + 1 + MAX_TRIGGER_ID_LENGTH + 1 + 64;

/** The four components of an idempotency key. */
export interface IdempotencyKeyParts {
  tenant_id: string;
  workflow_name: string;
  trigger_id: string;
  payload_hash: string;
}

/**
 * Why `s` is not a valid trigger id, or null. Exported for the envelope schema so `meta.trigger_id`
 * and the key's trigger id obey one rule. Lone surrogates are refused because they do not survive
 * UTF-8 (PostgreSQL, Redis): the stored key would differ from the one compared against.
 */
export function triggerIdProblem(s: string): { rule: string; message: string } | null {
  if (s.length === 0) return { rule: "too_short", message: "trigger_id must not be empty" };
  if (s.length > MAX_TRIGGER_ID_LENGTH) {
    return { rule: "too_long", message: `trigger_id must be at most ${MAX_TRIGGER_ID_LENGTH} characters` };
  }
  if (CONTROL_CHAR_RE.test(s)) return { rule: "control_char", message: "trigger_id must not contain control characters" };
  if (LONE_SURROGATE_RE.test(s)) return { rule: "unpaired_surrogate", message: "trigger_id must be valid Unicode" };
  return null;
}

function partIssues(parts: IdempotencyKeyParts): FieldIssue[] {
  const issues: FieldIssue[] = [];
  // typeof checks first: parts often come from untyped sources (queue payloads, JSON).
  const { tenant_id, workflow_name, trigger_id, payload_hash } = parts as Partial<Record<keyof IdempotencyKeyParts, unknown>>;
  if (typeof tenant_id !== "string" || !TENANT_ID_RE.test(tenant_id)) {
    issues.push({ path: "tenant_id", rule: "pattern:tenant_id", message: "tenant_id must match ^t_[A-Za-z0-9_-]{1,60}$" });
  }
  if (!isWorkflowName(workflow_name)) {
    issues.push({ path: "workflow_name", rule: "pattern:workflow_name", message: "workflow_name must be WF##_Short_Description (max 64 characters)" });
  }
  if (typeof trigger_id !== "string") {
    issues.push({ path: "trigger_id", rule: "type:string", message: "trigger_id must be a string" });
  } else {
    const problem = triggerIdProblem(trigger_id);
    if (problem) issues.push({ path: "trigger_id", ...problem });
  }
  if (typeof payload_hash !== "string" || !PAYLOAD_HASH_RE.test(payload_hash)) {
    issues.push({ path: "payload_hash", rule: "pattern:payload_hash", message: "payload_hash must be 64 lowercase hex characters" });
  }
  return issues;
}

function describe(issues: FieldIssue[]): string {
  return issues.map((i) => `${i.path || "key"}: ${i.rule}`).join(", ");
}

/**
 * Builds `idem:{tenant_id}:{workflow_name}:{trigger_id}:{payload_hash}` (convention §3).
 *
 * No escaping: tenant ids and workflow names cannot contain `:` (their patterns forbid it) and the
 * payload hash is hex, so `trigger_id` is the only component that may contain `:` and it is parsed
 * as everything between the third colon and the last one. Vendor ids (`call:CA123:leg:2`) keep
 * their natural spelling, and a key reads the same in SQL, Redis and logs. Trigger ids are taken
 * byte-for-byte (no Unicode normalisation). Keys are at most {@link MAX_IDEMPOTENCY_KEY_LENGTH} long.
 *
 * @throws ValidationError whose issues name each bad part (`path`) and the rule it broke.
 */
export function buildIdempotencyKey(parts: IdempotencyKeyParts): string {
  const issues = partIssues(parts);
  if (issues.length > 0) throw new ValidationError(`invalid idempotency key parts: ${describe(issues)}`, issues);
  return `${PREFIX}${parts.tenant_id}:${parts.workflow_name}:${parts.trigger_id}:${parts.payload_hash}`;
}

type ParseOutcome = { ok: true; parts: IdempotencyKeyParts } | { ok: false; issues: FieldIssue[] };

function parse(key: unknown): ParseOutcome {
  const formatIssue = (message: string): ParseOutcome => ({
    ok: false,
    issues: [{ path: "", rule: "format:idempotency_key", message }],
  });
  if (typeof key !== "string") return formatIssue("idempotency key must be a string");
  if (key.length > MAX_IDEMPOTENCY_KEY_LENGTH) {
    return { ok: false, issues: [{ path: "", rule: "too_long", message: `idempotency key must be at most ${MAX_IDEMPOTENCY_KEY_LENGTH} characters` }] };
  }
  if (!key.startsWith(PREFIX)) return formatIssue("idempotency key must start with 'idem:'");
  const tenantEnd = key.indexOf(":", PREFIX.length);
  const workflowEnd = tenantEnd < 0 ? -1 : key.indexOf(":", tenantEnd + 1);
  const hashStart = key.lastIndexOf(":");
  if (workflowEnd < 0 || hashStart <= workflowEnd) {
    return formatIssue("idempotency key must be idem:{tenant_id}:{workflow_name}:{trigger_id}:{payload_hash}");
  }
  const parts: IdempotencyKeyParts = {
    tenant_id: key.slice(PREFIX.length, tenantEnd),
    workflow_name: key.slice(tenantEnd + 1, workflowEnd),
    trigger_id: key.slice(workflowEnd + 1, hashStart),
    payload_hash: key.slice(hashStart + 1),
  };
  const issues = partIssues(parts);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, parts };
}

/**
 * Splits a key into its parts (see {@link buildIdempotencyKey} for the grammar).
 * @throws ValidationError naming the malformed part (or path `""` when the shape itself is wrong).
 */
export function parseIdempotencyKey(key: string): IdempotencyKeyParts {
  const outcome = parse(key);
  if (!outcome.ok) throw new ValidationError(`invalid idempotency key: ${describe(outcome.issues)}`, outcome.issues);
  return outcome.parts;
}

/** Like {@link parseIdempotencyKey} but returns null instead of throwing. */
export function tryParseIdempotencyKey(key: unknown): IdempotencyKeyParts | null {
  const outcome = parse(key);
  return outcome.ok ? outcome.parts : null;
}

/** Issues found in a key (empty when valid). Used by the envelope schema to report precise rules. */
export function idempotencyKeyIssues(key: unknown): FieldIssue[] {
  const outcome = parse(key);
  return outcome.ok ? [] : outcome.issues;
}

/** True when `s` is a well-formed idempotency key. */
export function isIdempotencyKey(s: unknown): s is string {
  return parse(s).ok;
}

/**
 * Computes the key of a run from its envelope fields, hashing `payload` with {@link payloadHash}.
 * @throws ValidationError for bad parts; TypeError when the payload is not canonical-JSON serialisable.
 */
export function keyForEnvelope(input: {
  tenant_id: string;
  workflow_name: string;
  trigger_id: string;
  payload: unknown;
}): string {
  return buildIdempotencyKey({
    tenant_id: input.tenant_id,
    workflow_name: input.workflow_name,
    trigger_id: input.trigger_id,
    payload_hash: payloadHash(input.payload),
  });
}

/**
 * True when `key` is well formed and its payload hash is the hash of `payload`: detects a caller
 * reusing a key for a different payload (an `idempotency_conflict`). False for malformed keys.
 * @throws TypeError when the payload is not canonical-JSON serialisable.
 */
export function verifyIdempotencyKey(key: string, payload: unknown): boolean {
  const parts = tryParseIdempotencyKey(key);
  return parts !== null && parts.payload_hash === payloadHash(payload);
}
