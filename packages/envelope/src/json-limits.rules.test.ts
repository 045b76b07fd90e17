import { describe, expect, it } from "vitest";
import { jsonLimitIssues, JSON_LIMITS } from "./json-limits.js";
import { validateEnvelope } from "./validation.js";

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) value = { a: value };
  return value;
}

describe("jsonLimitIssues", () => {
  it("accepts ordinary values", () => {
    expect(jsonLimitIssues({ meta: { a: 1 }, payload: { list: [1, 2, { b: "c" }] } })).toEqual([]);
    expect(jsonLimitIssues("text")).toEqual([]);
  });

  it("names the path where a value goes deeper than the limit, without overflowing on 100,000 levels", () => {
    const [issue, ...rest] = jsonLimitIssues({ payload: nested(100_000) });
    expect(rest).toEqual([]);
    expect(issue?.rule).toBe("max_depth");
    expect(issue?.path.startsWith("payload.a.a")).toBe(true);
    expect(issue?.path.split(".")).toHaveLength(JSON_LIMITS.maxDepth);
  });

  it("counts keys and items over the whole value", () => {
    const wide = { payload: Object.fromEntries(Array.from({ length: JSON_LIMITS.maxNodes + 1 }, (_, i) => [`k${i}`, i])) };
    expect(jsonLimitIssues(wide)).toEqual([{ path: "", rule: "max_keys", message: `more than ${JSON_LIMITS.maxNodes} keys and array items in all` }]);
    expect(jsonLimitIssues({ list: new Array(JSON_LIMITS.maxNodes - 1).fill(0) })).toEqual([]);
  });

  it("is checked by validateEnvelope before the schema (a deep payload on the queue is a clear issue, not a crash)", () => {
    const result = validateEnvelope({ meta: {}, subject: {}, payload: nested(5_000) });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.issues).toEqual([expect.objectContaining({ rule: "max_depth" })]);
  });
});
