import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { payloadHash } from "./canonical-json.js";
import {
  buildIdempotencyKey,
  type IdempotencyKeyParts,
  isIdempotencyKey,
  keyForEnvelope,
  MAX_IDEMPOTENCY_KEY_LENGTH,
  parseIdempotencyKey,
  tryParseIdempotencyKey,
  verifyIdempotencyKey,
} from "./idempotency-key.js";
import { ValidationError } from "./issues.js";
import { keyParts } from "./key-arbitraries.fixtures.js";

const HASH = "a".repeat(64);
const base: IdempotencyKeyParts = { tenant_id: "t_acme", workflow_name: "WF17_Voice", trigger_id: "CA123", payload_hash: HASH };

describe("idempotency key round trip", () => {
  it("parse(build(x)) == x for arbitrary valid parts", () => {
    fc.assert(
      fc.property(keyParts, (parts) => {
        const key = buildIdempotencyKey(parts);
        expect(key.length).toBeLessThanOrEqual(MAX_IDEMPOTENCY_KEY_LENGTH);
        expect(parseIdempotencyKey(key)).toEqual(parts);
        expect(isIdempotencyKey(key)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it.each(["call:CA123:leg:2", ":", "::", "a:", ":a", "100%:done", "msg <id@mail.example>"])("trigger id %j keeps its spelling", (trigger_id) => {
    const key = buildIdempotencyKey({ ...base, trigger_id });
    expect(key).toBe(`idem:t_acme:WF17_Voice:${trigger_id}:${HASH}`);
    expect(parseIdempotencyKey(key).trigger_id).toBe(trigger_id);
  });

  it("the longest key is exactly MAX_IDEMPOTENCY_KEY_LENGTH", () => {
    const key = buildIdempotencyKey({
      tenant_id: `t_${"x".repeat(60)}`,
      workflow_name: `WF01_${"A".repeat(59)}`,
      trigger_id: ":".repeat(200),
      payload_hash: HASH,
    });
    expect(key.length).toBe(MAX_IDEMPOTENCY_KEY_LENGTH);
    expect(MAX_IDEMPOTENCY_KEY_LENGTH).toBe(398);
  });
});

describe("idempotency key rejects bad parts, naming the part", () => {
  it.each([
    ["tenant_id", "acme", "pattern:tenant_id"],
    ["tenant_id", "t_a:b", "pattern:tenant_id"],
    ["workflow_name", "WF17:Voice", "pattern:workflow_name"],
    ["workflow_name", "Voice", "pattern:workflow_name"],
    ["trigger_id", "", "too_short"],
    ["trigger_id", "x".repeat(201), "too_long"],
    ["trigger_id", "a\nb", "control_char"],
    ["trigger_id", "\ud800", "unpaired_surrogate"],
    ["payload_hash", "A".repeat(64), "pattern:payload_hash"],
    ["payload_hash", "a".repeat(63), "pattern:payload_hash"],
  ] as const)("%s=%j → %s", (part, value, rule) => {
    const build = () => buildIdempotencyKey({ ...base, [part]: value });
    expect(build).toThrow(ValidationError);
    try {
      build();
    } catch (e) {
      expect((e as ValidationError).issues).toEqual([{ path: part, rule, message: expect.any(String) }]);
      expect((e as ValidationError).message).toContain(part);
    }
  });

  it("non-string parts are rejected, not coerced", () => {
    expect(() => buildIdempotencyKey({ ...base, trigger_id: 42 as unknown as string })).toThrow(/trigger_id: type:string/);
  });

  it.each([
    ["not a key", "format:idempotency_key"],
    ["idem_tenant_lead_msghash", "format:idempotency_key"],
    [`idem:t_acme:WF17_Voice:${HASH}`, "format:idempotency_key"],
    [`IDEM:t_acme:WF17_Voice:x:${HASH}`, "format:idempotency_key"],
    [`idem:t_acme:WF17_Voice:${"x".repeat(400)}:${HASH}`, "too_long"],
  ])("parse(%j) fails with %s", (key, rule) => {
    expect(tryParseIdempotencyKey(key)).toBeNull();
    expect(isIdempotencyKey(key)).toBe(false);
    expect(() => parseIdempotencyKey(key)).toThrow(ValidationError);
    try {
      parseIdempotencyKey(key);
    } catch (e) {
      expect((e as ValidationError).issues[0]?.rule).toBe(rule);
    }
  });

  it("parse names the broken component", () => {
    expect(() => parseIdempotencyKey(`idem:acme:WF17_Voice:x:${HASH}`)).toThrow(/tenant_id: pattern:tenant_id/);
    expect(tryParseIdempotencyKey(42)).toBeNull();
  });
});

describe("keyForEnvelope / verifyIdempotencyKey", () => {
  const payload = { to: "+15551234567", body: "Your appointment is confirmed", n: 1 };

  it("hashes the payload canonically", () => {
    const key = keyForEnvelope({ tenant_id: "t_acme", workflow_name: "WF17_Voice", trigger_id: "SM1:2", payload });
    expect(key).toBe(`idem:t_acme:WF17_Voice:SM1:2:${payloadHash(payload)}`);
    // Key order does not matter.
    const reordered = keyForEnvelope({ tenant_id: "t_acme", workflow_name: "WF17_Voice", trigger_id: "SM1:2", payload: { n: 1, body: payload.body, to: payload.to } });
    expect(reordered).toBe(key);
  });

  it("verifies true for the same payload and false otherwise", () => {
    const key = keyForEnvelope({ tenant_id: "t_acme", workflow_name: "WF17_Voice", trigger_id: "SM1", payload });
    expect(verifyIdempotencyKey(key, { ...payload })).toBe(true);
    expect(verifyIdempotencyKey(key, { ...payload, n: 2 })).toBe(false);
    expect(verifyIdempotencyKey("garbage", payload)).toBe(false);
  });
});
