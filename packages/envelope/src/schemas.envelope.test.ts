import { describe, expect, it } from "vitest";
import { exampleEnvelope, exampleKey, examplePayload, TENANT, TRIGGER, WORKFLOW } from "./convention-examples.fixtures.js";
import { keyForEnvelope } from "./idempotency-key.js";
import { validateEnvelope } from "./validation.js";

const REQUIRED_META = [
  "workflow_name",
  "workflow_version",
  "workflow_run_id",
  "root_run_id",
  "idempotency_key",
  "trigger_source",
  "trigger_id",
  "timestamp_utc",
  "tenant_id",
  "environment",
  "privacy_mode",
  "correlation_id",
] as const;

function issuesOf(input: unknown) {
  const result = validateEnvelope(input);
  if (result.ok) throw new Error("expected the envelope to be rejected");
  return result.issues;
}

describe("Envelope: the convention's example", () => {
  it("parses section 1 with realistic values", () => {
    const result = validateEnvelope(exampleEnvelope());
    expect(result).toMatchObject({ ok: true });
    if (result.ok) expect(result.value.meta.idempotency_key).toBe(exampleKey);
  });

  it("accepts an empty subject, no context and null optional meta fields", () => {
    const env = exampleEnvelope();
    const { context: _context, ...withoutContext } = env;
    withoutContext.subject = {};
    withoutContext.meta.parent_run_id = null;
    withoutContext.meta.location_id = null;
    delete withoutContext.meta.policy_version;
    delete withoutContext.meta.feature_flags_version;
    expect(validateEnvelope(withoutContext).ok).toBe(true);
  });

  it("accepts the documented extension trigger_source=workflow", () => {
    const env = exampleEnvelope();
    env.meta.trigger_source = "workflow";
    expect(validateEnvelope(env).ok).toBe(true);
  });
});

describe("Envelope: required fields", () => {
  it.each(REQUIRED_META)("meta.%s removed fails with rule required at its path", (field) => {
    const env = exampleEnvelope();
    delete env.meta[field];
    expect(issuesOf(env)).toEqual([{ path: `meta.${field}`, rule: "required", message: expect.any(String) }]);
  });

  it.each(["meta", "subject", "payload"] as const)("%s removed fails with rule required", (block) => {
    const env: Record<string, unknown> = exampleEnvelope();
    delete env[block];
    expect(issuesOf(env)).toEqual([{ path: block, rule: "required", message: expect.any(String) }]);
  });

  it("a non-object envelope is one type issue at the root", () => {
    expect(issuesOf(null)).toEqual([{ path: "", rule: "type:object", message: expect.any(String) }]);
    expect(issuesOf(undefined)).toEqual([{ path: "", rule: "required", message: expect.any(String) }]);
  });
});

describe("Envelope: enumerations and patterns", () => {
  it.each([
    ["trigger_source", "fax"],
    ["environment", "dev"],
    ["privacy_mode", "none"],
  ])("meta.%s=%s fails with invalid_enum", (field, value) => {
    const env = exampleEnvelope();
    env.meta[field] = value;
    expect(issuesOf(env)).toEqual([{ path: `meta.${field}`, rule: "invalid_enum", message: expect.any(String) }]);
  });

  it.each([
    ["tenant_id", "tenant-1", "pattern:tenant_id"],
    ["workflow_run_id", "run_01H", "pattern:workflow_run_id"],
    ["root_run_id", "wr_", "pattern:root_run_id"],
    ["correlation_id", "corr_", "pattern:correlation_id"],
    ["workflow_version", "v1.0", "pattern:workflow_version"],
    ["timestamp_utc", "2026-02-03T21:17:00+01:00", "format:datetime"],
    ["trigger_id", "", "too_short"],
    ["trigger_id", "x".repeat(201), "too_long"],
    ["trigger_id", "call\n123", "control_char"],
    ["location_id", "downtown", "pattern:location_id"],
    ["parent_run_id", "wr-1", "pattern:parent_run_id"],
    ["tenant_id", 42, "type:string"],
  ])("meta.%s=%j fails with %s", (field, value, rule) => {
    const env = exampleEnvelope();
    env.meta[field] = value;
    const issues = issuesOf(env);
    expect(issues).toContainEqual({ path: `meta.${field}`, rule, message: expect.any(String) });
  });

  it("a malformed idempotency key names the broken component", () => {
    const env = exampleEnvelope();
    env.meta.idempotency_key = `idem:${TENANT}:${WORKFLOW}:${TRIGGER}:NOTHEX`;
    expect(issuesOf(env)).toEqual([
      { path: "meta.idempotency_key", rule: "idempotency_key.payload_hash:pattern:payload_hash", message: expect.any(String) },
    ]);
    env.meta.idempotency_key = "idem_tenant_lead_msghash"; // the convention's placeholder is not a key
    expect(issuesOf(env)).toEqual([{ path: "meta.idempotency_key", rule: "format:idempotency_key", message: expect.any(String) }]);
  });

  it("an idempotency key of another tenant or workflow is rejected", () => {
    const env = exampleEnvelope();
    env.meta.idempotency_key = keyForEnvelope({ tenant_id: "t_other", workflow_name: "WF18_Schedule", trigger_id: TRIGGER, payload: examplePayload });
    expect(issuesOf(env).map((i) => [i.path, i.rule])).toEqual([
      ["meta.idempotency_key", "mismatch:tenant_id"],
      ["meta.idempotency_key", "mismatch:workflow_name"],
    ]);
  });

  it("subject ids follow their prefix", () => {
    const env = exampleEnvelope();
    env.subject.patient_id = "patient_1";
    env.subject.owner_user_id = "p_1";
    expect(issuesOf(env).map((i) => [i.path, i.rule])).toEqual([
      ["subject.patient_id", "pattern:patient_id"],
      ["subject.owner_user_id", "pattern:owner_user_id"],
    ]);
  });

  it("unknown keys are reported, not stripped (typos are caught)", () => {
    const env = exampleEnvelope();
    env.meta.tenantId = "t_x";
    env.subject.patient_Id = "p_1";
    expect(issuesOf(env).map((i) => [i.path, i.rule])).toEqual([
      ["meta.tenantId", "unknown_key"],
      ["subject.patient_Id", "unknown_key"],
    ]);
  });

  it("payload must be a plain JSON object", () => {
    for (const payload of [[], null, "x", new Date(), new Map()]) {
      const env: Record<string, unknown> = exampleEnvelope();
      env.payload = payload;
      expect(issuesOf(env)).toEqual([{ path: "payload", rule: "type:object", message: expect.any(String) }]);
    }
    const env = exampleEnvelope();
    env.payload = { ok: 1, nested: { list: [1, Number.NaN] } };
    expect(issuesOf(env)).toEqual([{ path: "payload.nested.list.1", rule: "type:json", message: expect.any(String) }]);
  });
});
