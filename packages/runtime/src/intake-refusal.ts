/**
 * Why intake refuses a run: a closed set of codes, each with every failing field. The producer maps
 * each code to its HTTP answer in one exhaustive switch (apps/producer/src/submit.ts); the
 * dispatcher and cron record them. Only what a caller (or a deployment) got wrong is a refusal;
 * a database or Redis failure stays an error.
 */
import type { FieldIssue } from '@revos/envelope';

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

/** A refusal thrown inside intake (and by {@link submitRun} to its callers). Its message names paths and rules only, never values. */
export class IntakeRefused extends Error {
  override name = 'IntakeRefused';
  readonly code: RefusalCode;
  constructor(readonly refusal: IntakeRefusal) {
    super(`${refusal.code}: ${refusal.issues.map((i) => `${i.path}: ${i.rule}`).join('; ')}`);
    this.code = refusal.code;
  }
}

export function isIntakeRefused(error: unknown): error is IntakeRefused {
  return error instanceof IntakeRefused || (error instanceof Error && error.name === 'IntakeRefused' && 'refusal' in error);
}
