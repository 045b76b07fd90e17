import type { z } from "zod";
import { joinPath, ValidationError, type FieldIssue } from "./issues.js";
import { jsonLimitIssues } from "./json-limits.js";
import { Envelope, OutputContract } from "./schemas.js";

export { FieldIssue, isValidationError, ValidationError } from "./issues.js";

/** Outcome of a non-throwing validator. Plain JSON on failure, so it can be returned by an API as is. */
export type ValidationResult<T> = { ok: true; value: T } | { ok: false; issues: FieldIssue[] };

type ZodIssue = z.core.$ZodIssue;

/** Whether the value at `path` is absent from `input` (walked from the root). */
function isAbsent(input: unknown, path: ReadonlyArray<PropertyKey>): boolean {
  let current: unknown = input;
  for (const segment of path) {
    if (typeof current !== "object" || current === null) return true;
    current = (current as Record<PropertyKey, unknown>)[segment];
  }
  return current === undefined;
}

function lastKey(path: ReadonlyArray<PropertyKey>): string {
  for (let i = path.length - 1; i >= 0; i--) {
    const segment = path[i];
    if (typeof segment === "string") return segment;
  }
  return "value";
}

/** Issue codes zod raises about the value itself, which for an absent value means "missing". */
const VALUE_CODES: ReadonlySet<string> = new Set(["invalid_type", "invalid_value", "invalid_format", "invalid_union", "too_small", "too_big"]);

function convert(issue: ZodIssue, input: unknown, hasInput: boolean): FieldIssue[] {
  const path = joinPath(issue.path);
  const one = (rule: string): FieldIssue[] => [{ path, rule, message: issue.message }];
  if (VALUE_CODES.has(issue.code)) {
    // A missing key surfaces as whatever the field's schema says about `undefined` (invalid_type
    // for a string, invalid_value for an enum). `input` is only on the issue when parsing with
    // reportInput; otherwise the original value is walked.
    const missing = "input" in issue ? issue.input === undefined : hasInput && isAbsent(input, issue.path);
    if (missing) return [{ path, rule: "required", message: `${path || "value"} is required` }];
  }
  switch (issue.code) {
    case "invalid_type":
      return one(`type:${issue.expected === "record" ? "object" : issue.expected}`);
    case "invalid_value":
      return one(issue.values.length === 1 ? "invalid_literal" : "invalid_enum");
    case "invalid_format":
      return one(issue.format === "regex" ? `pattern:${lastKey(issue.path)}` : `format:${issue.format}`);
    case "too_big":
      return one(issue.origin === "string" ? "too_long" : "too_big");
    case "too_small":
      return one(issue.origin === "string" ? "too_short" : "too_small");
    case "unrecognized_keys":
      return issue.keys.map((key) => ({
        path: joinPath([...issue.path, key]),
        rule: "unknown_key",
        message: `unknown field ${JSON.stringify(key)}`,
      }));
    case "custom": {
      const rule: unknown = issue.params?.["rule"];
      return one(typeof rule === "string" ? rule : "custom");
    }
    case "invalid_key":
    case "invalid_element":
      // Nested issues already carry the detail; prefix their paths with this one.
      return issue.issues.flatMap((inner) => convert({ ...inner, path: [...issue.path, ...inner.path] } as ZodIssue, input, hasInput));
    default:
      return one(issue.code);
  }
}

/**
 * Flattens a zod error into {@link FieldIssue}s. A missing required field becomes rule `required`
 * at the field's path. Pass the parsed `input` when the error was not produced with
 * `reportInput: true`, so missing fields can be told apart from wrongly typed ones.
 */
export function toFieldIssues(error: z.ZodError, input?: unknown): FieldIssue[] {
  const hasInput = arguments.length >= 2;
  return error.issues.flatMap((issue) => convert(issue, input, hasInput));
}

function validate<T>(schema: z.ZodType<T>, input: unknown): ValidationResult<T> {
  const result = schema.safeParse(input);
  return result.success ? { ok: true, value: result.data } : { ok: false, issues: toFieldIssues(result.error, input) };
}

/** Validates an envelope without throwing (node A, Validate_Envelope); too deep or too large is refused first. */
export function validateEnvelope(input: unknown): ValidationResult<Envelope> {
  const limits = jsonLimitIssues(input);
  if (limits.length > 0) return { ok: false, issues: limits };
  return validate(Envelope, input);
}

/** Validates an output contract without throwing (node H, Build_Standard_Output). Defaults are applied to `value`. */
export function validateOutput(input: unknown): ValidationResult<OutputContract> {
  return validate(OutputContract, input);
}

/**
 * Parses an envelope or throws.
 * @throws ValidationError whose `issues` are those of {@link validateEnvelope}.
 */
export function parseEnvelope(input: unknown): Envelope {
  const result = validateEnvelope(input);
  if (!result.ok) throw new ValidationError(`invalid envelope: ${summarise(result.issues)}`, result.issues);
  return result.value;
}

/**
 * Parses an output contract or throws.
 * @throws ValidationError whose `issues` are those of {@link validateOutput}.
 */
export function parseOutput(input: unknown): OutputContract {
  const result = validateOutput(input);
  if (!result.ok) throw new ValidationError(`invalid output: ${summarise(result.issues)}`, result.issues);
  return result.value;
}

function summarise(issues: FieldIssue[]): string {
  const shown = issues.slice(0, 5).map((i) => `${i.path || "(root)"} ${i.rule}`);
  return issues.length > 5 ? `${shown.join(", ")} (+${issues.length - 5} more)` : shown.join(", ");
}
