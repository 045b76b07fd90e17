import { z } from "zod";
import type { VendorOutcome } from "./vendor-outcome.js";

/**
 * The closed set of failure codes. Adding one is a compile error in {@link classifyFailure}
 * until it is classified. Recorded as `meta_out.failure_code` (our extension of the convention).
 */
export const FailureCode = z.enum([
  "invalid_input",
  "invalid_output",
  "unknown_workflow",
  "consent_denied",
  "config_missing",
  "policy_violation",
  "idempotency_conflict",
  "attempts_exhausted",
  "lock_lost",
  "network",
  "timeout",
  "vendor_unavailable",
  "rate_limited",
  "run_in_progress",
  "effect_outcome_unknown",
  "payment_declined",
  "version_conflict",
  "expired",
  "not_accepted",
  "internal_error",
]);
export type FailureCode = z.infer<typeof FailureCode>;

/**
 * The convention's pipeline nodes (A..H), named where a run failed (`meta_out.failure_stage`).
 * Defined here rather than in schemas.ts so errors.ts stays a leaf module (no import cycle).
 */
export const FailureStage = z.enum([
  "validate_envelope",
  "compute_payload_hash",
  "idempotency_check",
  "load_tenant_entitlements",
  "consent_check",
  "core_logic",
  "log_event",
  "build_standard_output",
]);
export type FailureStage = z.infer<typeof FailureStage>;

/** How a failure code is handled: whether to retry, which `result.status` to report, whether staff must look. */
export interface FailureClass {
  retryable: boolean;
  status: "retry" | "failed" | "blocked";
  escalate: boolean;
}

/** Compile-time exhaustiveness guard; throws if reached at run time with an unexpected value. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}

/**
 * Maps a failure code to its handling (convention §5). Retryable codes always report `status=retry`;
 * terminal ones report `failed` or `blocked`, and `escalate` says whether to open an escalation task.
 */
export function classifyFailure(code: FailureCode): FailureClass {
  switch (code) {
    // Transient: the same input may succeed later. run_in_progress means another worker holds the run.
    case "network":
    case "timeout":
    case "vendor_unavailable":
    case "rate_limited":
    case "run_in_progress":
      return { retryable: true, status: "retry", escalate: false };
    // A patient opting out is expected behaviour, not a staff problem.
    case "consent_denied":
    // A change was made against a version that is no longer current: the caller re-reads and decides.
    case "version_conflict":
    // What the run was to act on has passed (a slot to book, an appointment to remind of): acting late
    // would be wrong, and nothing is left for a person to do.
    case "expired":
      return { retryable: false, status: "blocked", escalate: false };
    // A policy stopped an action someone asked for: a human should know.
    case "policy_violation":
    // The card issuer refused a charge: charging again cannot help; staff contact the patient.
    case "payment_declined":
      return { retryable: false, status: "blocked", escalate: true };
    // Retrying cannot fix these; they need a person (bad data, bad deploy, bad config, exhausted budget).
    case "invalid_input":
    case "invalid_output":
    case "unknown_workflow":
    case "config_missing":
    case "idempotency_conflict":
    case "attempts_exhausted":
    // A vendor call may have reached a vendor that cannot dedupe, and asking the vendor did not settle
    // it: a person checks whether the text went out rather than risk sending it twice.
    case "effect_outcome_unknown":
    // A bug in workflow code: retrying runs the same bug.
    case "internal_error":
      return { retryable: false, status: "failed", escalate: true };
    // A job intake never accepted (added to Redis past intake, or forged over an accepted key): it runs
    // nothing and writes no run; an alert tells operators, since someone reached the queue directly.
    case "not_accepted":
    // Our lease expired and another worker took the run over; this attempt just stops.
    case "lock_lost":
      return { retryable: false, status: "failed", escalate: false };
    default:
      return assertNever(code, "failure code");
  }
}

/** Options of {@link WorkflowError}. */
export interface WorkflowErrorOptions {
  /** Earliest sensible retry delay (e.g. from a 429 `Retry-After`). */
  retryAfterMs?: number;
  /** Pipeline stage that failed. */
  stage?: FailureStage;
  /** Structured, non-PHI details for logs. */
  details?: Record<string, unknown>;
  /** The underlying error. */
  cause?: unknown;
  /** For a failed vendor call: whether the vendor may have acted (see {@link VendorOutcome}). */
  outcome?: VendorOutcome;
}

/**
 * A failure with a code from the closed set. Handlers throw it; the runtime turns it into
 * `meta_out.failure_*` and a result status via {@link classifyFailure}.
 */
export class WorkflowError extends Error {
  override readonly name = "WorkflowError";
  readonly code: FailureCode;
  readonly retryAfterMs?: number;
  readonly stage?: FailureStage;
  readonly details?: Record<string, unknown>;
  readonly outcome?: VendorOutcome;

  constructor(code: FailureCode, message: string, options: WorkflowErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    if (options.retryAfterMs !== undefined) this.retryAfterMs = options.retryAfterMs;
    if (options.stage !== undefined) this.stage = options.stage;
    if (options.details !== undefined) this.details = options.details;
    if (options.outcome !== undefined) this.outcome = options.outcome;
  }
}

/**
 * Recognises a {@link WorkflowError} by `name` and a known `code`, not by `instanceof` alone:
 * two copies of this package (or an error rebuilt from a queue payload) must still be recognised.
 */
export function isWorkflowError(e: unknown): e is WorkflowError {
  if (e instanceof WorkflowError) return true;
  if (typeof e !== "object" || e === null) return false;
  const candidate = e as { name?: unknown; code?: unknown };
  return candidate.name === "WorkflowError" && FailureCode.safeParse(candidate.code).success;
}
