import { describe, expect, it } from "vitest";
import { z } from "zod";
import { exampleEnvelope } from "./convention-examples.fixtures.js";
import { isValidationError, parseEnvelope, parseOutput, toFieldIssues, validateEnvelope, ValidationError } from "./validation.js";

describe("validation results", () => {
  it("are JSON-serialisable as returned by the API", () => {
    const env = exampleEnvelope();
    delete env.meta.tenant_id;
    const result = validateEnvelope(env);
    expect(JSON.parse(JSON.stringify({ error: "invalid_envelope", ...result }))).toEqual({ error: "invalid_envelope", ...result });
  });

  it("never echo the rejected value in messages", () => {
    const env = exampleEnvelope();
    env.subject.patient_id = "SECRET-PHI-VALUE";
    const result = validateEnvelope(env);
    expect(JSON.stringify(result)).not.toContain("SECRET-PHI-VALUE");
  });

  it("parseEnvelope throws a ValidationError carrying the issues", () => {
    const env = exampleEnvelope();
    delete env.meta.correlation_id;
    let caught: unknown;
    try {
      parseEnvelope(env);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(ValidationError);
    expect(isValidationError(caught)).toBe(true);
    const error = caught as ValidationError;
    expect(error.name).toBe("ValidationError");
    expect(error.issues).toEqual([{ path: "meta.correlation_id", rule: "required", message: expect.any(String) }]);
    expect(error.message).toContain("meta.correlation_id");
  });

  it("parseEnvelope returns the parsed envelope", () => {
    expect(parseEnvelope(exampleEnvelope()).meta.tenant_id).toBe("t_acme_dental");
  });

  it("parseOutput throws on invalid output", () => {
    expect(() => parseOutput({})).toThrow(ValidationError);
  });

  it("toFieldIssues tells missing from mistyped with input or reportInput", () => {
    const schema = z.object({ a: z.string(), b: z.string() });
    const input = { b: 1 };
    const plain = schema.safeParse(input);
    const reported = schema.safeParse(input, { reportInput: true });
    const expected = [
      { path: "a", rule: "required", message: expect.any(String) },
      { path: "b", rule: "type:string", message: expect.any(String) },
    ];
    if (plain.success || reported.success) throw new Error("expected failures");
    expect(toFieldIssues(plain.error, input)).toEqual(expected);
    expect(toFieldIssues(reported.error)).toEqual(expected);
  });

  it("isValidationError recognises by name and shape", () => {
    expect(isValidationError({ name: "ValidationError", issues: [] })).toBe(true);
    expect(isValidationError(new Error("ValidationError"))).toBe(false);
  });
});
