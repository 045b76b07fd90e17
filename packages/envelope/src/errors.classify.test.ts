import { describe, expect, it } from "vitest";
import { assertNever, classifyFailure, FailureCode, isWorkflowError, WorkflowError } from "./errors.js";

describe("classifyFailure", () => {
  it.each(FailureCode.options)("classifies %s", (code) => {
    const c = classifyFailure(code);
    expect(["retry", "failed", "blocked"]).toContain(c.status);
    // Retryable exactly when the status says retry.
    expect(c.retryable).toBe(c.status === "retry");
  });

  it("pins the mapping", () => {
    const table = Object.fromEntries(FailureCode.options.map((code) => [code, classifyFailure(code)]));
    expect(table).toEqual({
      network: { retryable: true, status: "retry", escalate: false },
      timeout: { retryable: true, status: "retry", escalate: false },
      vendor_unavailable: { retryable: true, status: "retry", escalate: false },
      rate_limited: { retryable: true, status: "retry", escalate: false },
      run_in_progress: { retryable: true, status: "retry", escalate: false },
      consent_denied: { retryable: false, status: "blocked", escalate: false },
      policy_violation: { retryable: false, status: "blocked", escalate: true },
      invalid_input: { retryable: false, status: "failed", escalate: true },
      invalid_output: { retryable: false, status: "failed", escalate: true },
      unknown_workflow: { retryable: false, status: "failed", escalate: true },
      config_missing: { retryable: false, status: "failed", escalate: true },
      idempotency_conflict: { retryable: false, status: "failed", escalate: true },
      attempts_exhausted: { retryable: false, status: "failed", escalate: true },
      lock_lost: { retryable: false, status: "failed", escalate: false },
      effect_outcome_unknown: { retryable: false, status: "failed", escalate: true },
      payment_declined: { retryable: false, status: "blocked", escalate: true },
      version_conflict: { retryable: false, status: "blocked", escalate: false },
      expired: { retryable: false, status: "blocked", escalate: false },
      not_accepted: { retryable: false, status: "failed", escalate: false },
      internal_error: { retryable: false, status: "failed", escalate: true },
    });
  });

  it("throws on a code outside the set at run time", () => {
    expect(() => classifyFailure("bogus" as FailureCode)).toThrow(/unexpected failure code/);
    expect(() => assertNever("x" as never)).toThrow();
  });
});

describe("WorkflowError", () => {
  it("carries code, stage, retryAfterMs, details and cause", () => {
    const cause = new Error("socket hang up");
    const e = new WorkflowError("rate_limited", "twilio 429", { retryAfterMs: 1500, stage: "core_logic", details: { vendor: "twilio" }, cause });
    expect(e).toBeInstanceOf(Error);
    expect(e.name).toBe("WorkflowError");
    expect(e).toMatchObject({ code: "rate_limited", retryAfterMs: 1500, stage: "core_logic", details: { vendor: "twilio" } });
    expect(e.cause).toBe(cause);
    expect(isWorkflowError(e)).toBe(true);
  });

  it("is recognised by name and code without instanceof (e.g. another package copy)", () => {
    expect(isWorkflowError({ name: "WorkflowError", code: "network", message: "x" })).toBe(true);
    expect(isWorkflowError({ name: "WorkflowError", code: "not_a_code" })).toBe(false);
    expect(isWorkflowError(Object.assign(new Error("x"), { code: "network" }))).toBe(false);
    expect(isWorkflowError(null)).toBe(false);
  });
});
