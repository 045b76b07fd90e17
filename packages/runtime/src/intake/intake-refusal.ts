/**
 * Why intake refuses a run: a closed set of codes, each with every failing field. The producer maps
 * each code to its HTTP answer in one exhaustive switch (apps/producer/src/services/submit.ts); the
 * dispatcher and cron record them. Only what a caller (or a deployment) got wrong is a refusal;
 * a database or Redis failure stays an error.
 */
import { isValidationError, ValidationError, type FieldIssue } from '@revos/envelope';

export const REFUSAL_CODES = [
  /** The envelope, the body's options, the workflow's payload, or card data in a payment payload. */
  'invalid_envelope',
  /** The body names a tenant other than the caller's credentials. */
  'tenant_mismatch',
  /** No such workflow (or version) is registered. */
  'unknown_workflow',
  /** The caller's idempotency key was computed for another payload. */
  'idempotency_conflict',
  /** A phi_minimized run reached a process with no PHI keys: refused, never stored raw. */
  'privacy_not_configured',
] as const;
export type RefusalCode = (typeof REFUSAL_CODES)[number];

export interface IntakeRefusal {
  code: RefusalCode;
  /** Every failing field, each with the rule it broke. */
  issues: FieldIssue[];
}

export function refusal(code: RefusalCode, issues: FieldIssue[]): IntakeRefusal {
  return { code, issues };
}

/**
 * A refusal thrown inside intake (and by `submitRun` to its callers). A ValidationError (its issues
 * are the refusal's), told apart by its `code`. Its message names paths and rules only, never values.
 */
export class IntakeRefused extends ValidationError {
  readonly code: RefusalCode;
  constructor(readonly refusal: IntakeRefusal) {
    super(`${refusal.code}: ${refusal.issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`, refusal.issues);
    this.code = refusal.code;
  }
}

/** Recognises an {@link IntakeRefused} by shape (works across package copies). */
export function isIntakeRefused(error: unknown): error is IntakeRefused {
  if (error instanceof IntakeRefused) return true;
  if (!isValidationError(error)) return false;
  const candidate = error as { code?: unknown; refusal?: unknown };
  return typeof candidate.code === 'string' && typeof candidate.refusal === 'object' && candidate.refusal !== null;
}
