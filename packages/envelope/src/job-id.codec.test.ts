import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { buildIdempotencyKey } from "./idempotency-key.js";
import { keyParts } from "./key-arbitraries.fixtures.js";
import { fromJobId, MAX_JOB_ID_LENGTH, toJobId } from "./job-id.js";

const HASH = "0123456789abcdef".repeat(4);

describe("BullMQ job id codec", () => {
  it("fromJobId(toJobId(k)) == k; no ':' ever; never integer-like; bounded length", () => {
    fc.assert(
      fc.property(keyParts, (parts) => {
        const key = buildIdempotencyKey(parts);
        const jobId = toJobId(key);
        expect(fromJobId(jobId)).toBe(key);
        expect(jobId).not.toContain(":");
        expect(jobId.startsWith("idem%3A")).toBe(true);
        expect(/^\d+$/.test(jobId)).toBe(false);
        expect(jobId.length).toBeLessThanOrEqual(MAX_JOB_ID_LENGTH);
      }),
      { numRuns: 500 },
    );
  });

  it("escapes exactly % and :", () => {
    const key = `idem:t_acme:WF17_Voice:call:CA123:100%:${HASH}`;
    expect(toJobId(key)).toBe(`idem%3At_acme%3AWF17_Voice%3Acall%3ACA123%3A100%25%3A${HASH}`);
  });

  it("the worst case reaches MAX_JOB_ID_LENGTH exactly", () => {
    const key = buildIdempotencyKey({
      tenant_id: `t_${"x".repeat(60)}`,
      workflow_name: `WF01_${"A".repeat(59)}`,
      trigger_id: "%:".repeat(100),
      payload_hash: HASH,
    });
    expect(toJobId(key).length).toBe(MAX_JOB_ID_LENGTH);
    expect(MAX_JOB_ID_LENGTH).toBe(806);
  });

  it("toJobId refuses what is not a key", () => {
    expect(() => toJobId("123")).toThrow(TypeError);
    expect(() => toJobId("idem:bad")).toThrow(TypeError);
  });

  it.each([
    ["raw colon", `idem:t_acme%3AWF17_Voice%3Ax%3A${HASH}`],
    ["lower-case escape", `idem%3at_acme%3AWF17_Voice%3Ax%3A${HASH}`],
    ["unknown escape", `idem%3At_acme%3AWF17_Voice%3Ax%20y%3A${HASH}`],
    ["dangling percent", `idem%3At_acme%3AWF17_Voice%3Ax%%3A${HASH}`],
    ["decodes to a non-key", "idem%3Abad"],
    ["integer-like", "12345"],
  ])("fromJobId rejects %s", (_name, jobId) => {
    expect(() => fromJobId(jobId)).toThrow(TypeError);
  });
});
