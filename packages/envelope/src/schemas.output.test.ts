import { describe, expect, it } from "vitest";
import { exampleOutput } from "./convention-examples.fixtures.js";
import { validateOutput } from "./validation.js";

function issuesOf(input: unknown) {
  const result = validateOutput(input);
  if (result.ok) throw new Error("expected the output to be rejected");
  return result.issues.map((i) => [i.path, i.rule]);
}

function failedOutput() {
  const out = exampleOutput();
  Object.assign(out.meta_out, {
    success: false,
    failure_stage: "core_logic",
    failure_reason: "PMS adapter returned 503",
    failure_code: "vendor_unavailable",
  });
  out.result.status = "retry";
  return out;
}

describe("OutputContract: the convention's example", () => {
  it("parses section 2 (with failure_code and latency_breach added)", () => {
    expect(validateOutput(exampleOutput()).ok).toBe(true);
  });

  it("applies next action defaults (priority normal, run_after_utc null)", () => {
    const out = exampleOutput();
    out.result.next_actions = [{ action: "CALL_WORKFLOW", workflow: "WF18_Schedule", payload: { slot: "tue-10" } }];
    const result = validateOutput(out);
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.value.result.next_actions[0]).toMatchObject({ priority: "normal", run_after_utc: null });
  });

  it("accepts a consistent failure", () => {
    expect(validateOutput(failedOutput()).ok).toBe(true);
  });

  it("accepts an informational RETRY_SCHEDULED action on a retry output only", () => {
    const retry = failedOutput();
    retry.result.next_actions = [{ action: "RETRY_SCHEDULED", workflow: "WF18_Schedule", payload: {}, priority: "normal", run_after_utc: "2026-02-03T21:18:00Z" }];
    expect(validateOutput(retry).ok).toBe(true);
    const ok = exampleOutput();
    ok.result.next_actions = [{ action: "RETRY_SCHEDULED", workflow: "WF18_Schedule", payload: {}, priority: "normal", run_after_utc: null }];
    expect(issuesOf(ok)).toEqual([["result.next_actions.0.action", "retry_only"]]);
  });
});

describe("OutputContract: minimum required output fields", () => {
  it("missing next_actions is required at result.next_actions (no default)", () => {
    const out = exampleOutput();
    delete out.result.next_actions;
    expect(issuesOf(out)).toEqual([["result.next_actions", "required"]]);
  });

  it("missing external_calls is required at audit.external_calls", () => {
    const out = exampleOutput();
    delete out.audit.external_calls;
    expect(issuesOf(out)).toEqual([["audit.external_calls", "required"]]);
  });

  it.each(["workflow_run_id", "root_run_id", "idempotency_key", "latency_ms", "success", "failure_reason", "failure_code", "latency_breach"])(
    "missing meta_out.%s is required",
    (field) => {
      const out = exampleOutput();
      delete out.meta_out[field];
      expect(issuesOf(out)).toEqual([[`meta_out.${field}`, "required"]]);
    },
  );

  it("missing result.status is required", () => {
    const out = exampleOutput();
    delete out.result.status;
    expect(issuesOf(out)).toEqual([["result.status", "required"]]);
  });

  it("issues inside arrays carry numeric indexes", () => {
    const out = exampleOutput();
    out.result.next_actions = [{ action: "CALL_WORKFLOW", workflow: "wf18-schedule", payload: {} }];
    expect(issuesOf(out)).toEqual([["result.next_actions.0.workflow", "pattern:workflow"]]);
    const out2 = exampleOutput();
    out2.audit.external_calls = [{ service: "twilio", endpoint: "calls", latency_ms: -1, success: true }];
    expect(issuesOf(out2)).toEqual([["audit.external_calls.0.latency_ms", "too_small"]]);
  });
});

describe("OutputContract: consistency refinement", () => {
  it("success=false without failure_reason fails at meta_out.failure_reason", () => {
    const out = failedOutput();
    out.meta_out.failure_reason = null;
    expect(issuesOf(out)).toEqual([["meta_out.failure_reason", "required"]]);
    out.meta_out.failure_reason = "   ";
    expect(issuesOf(out)).toEqual([["meta_out.failure_reason", "required"]]);
  });

  it("success=false needs failure_stage and failure_code", () => {
    const out = failedOutput();
    out.meta_out.failure_stage = null;
    out.meta_out.failure_code = null;
    expect(issuesOf(out)).toEqual([
      ["meta_out.failure_stage", "required"],
      ["meta_out.failure_code", "required"],
    ]);
  });

  it("success=true forbids failure fields", () => {
    const out = exampleOutput();
    out.meta_out.failure_reason = "left over";
    out.meta_out.failure_code = "network";
    out.meta_out.failure_stage = "core_logic";
    expect(issuesOf(out)).toEqual([
      ["meta_out.failure_reason", "null_when_success"],
      ["meta_out.failure_stage", "null_when_success"],
      ["meta_out.failure_code", "null_when_success"],
    ]);
  });

  it.each(["blocked", "retry", "failed"])("status=%s with success=true is a mismatch", (status) => {
    const out = exampleOutput();
    out.result.status = status;
    expect(issuesOf(out)).toEqual([["meta_out.success", "status_mismatch"]]);
  });

  it.each(["ok", "noop"])("status=%s with success=false is a mismatch", (status) => {
    const out = failedOutput();
    out.result.status = status;
    expect(issuesOf(out)).toEqual([["meta_out.success", "status_mismatch"]]);
  });

  it("ended_at_utc before started_at_utc fails", () => {
    const out = exampleOutput();
    out.meta_out.ended_at_utc = "2026-02-03T21:16:59.999Z";
    expect(issuesOf(out)).toEqual([["meta_out.ended_at_utc", "ended_before_started"]]);
  });

  it("wrong enumerations fail with their path", () => {
    const out = exampleOutput();
    out.result.status = "done";
    out.audit.consent_result = "maybe";
    expect(issuesOf(out)).toEqual([
      ["result.status", "invalid_enum"],
      ["audit.consent_result", "invalid_enum"],
    ]);
  });

  it("summary longer than 500 characters is too_long", () => {
    const out = exampleOutput();
    out.result.summary = "x".repeat(501);
    expect(issuesOf(out)).toEqual([["result.summary", "too_long"]]);
  });
});
