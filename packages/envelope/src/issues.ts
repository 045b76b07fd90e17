import { z } from "zod";

/**
 * One problem with one field, shaped for API responses and logs (plain JSON, no zod internals).
 * `path` is dotted with array indexes as numbers (`result.next_actions.0.workflow`); the empty
 * string means the value as a whole. `rule` is short and machine-readable (`required`,
 * `invalid_enum`, `pattern:tenant_id`, `type:string`, `too_long`, …). Messages never echo the
 * offending value, so an issue list is safe to return or log under `phi_minimized`.
 */
export const FieldIssue = z.object({
  path: z.string(),
  rule: z.string().min(1),
  message: z.string(),
});
export type FieldIssue = z.infer<typeof FieldIssue>;

/** Thrown by the throwing validators (`parseEnvelope`, `parseIdempotencyKey`, …); `issues` says what and where. */
export class ValidationError extends Error {
  override readonly name = "ValidationError";
  readonly issues: FieldIssue[];

  constructor(message: string, issues: FieldIssue[]) {
    super(message);
    this.issues = issues;
  }
}

/** Recognises a {@link ValidationError} by name and shape (works across package copies). */
export function isValidationError(e: unknown): e is ValidationError {
  if (e instanceof ValidationError) return true;
  if (typeof e !== "object" || e === null) return false;
  const candidate = e as { name?: unknown; issues?: unknown };
  return candidate.name === "ValidationError" && Array.isArray(candidate.issues);
}

/** Joins a path the way {@link FieldIssue.path} is spelled. */
export function joinPath(path: ReadonlyArray<PropertyKey>): string {
  return path.map((segment) => (typeof segment === "symbol" ? String(segment.description) : String(segment))).join(".");
}
