/**
 * One intake path for every front door (API, webhooks, voice, CLI, operator): the runtime's
 * acceptSubmission, and its outcome (or refusal) turned into the same answer body. Only unexpected
 * errors are thrown; everything a caller did wrong comes back as data, listing every failing field.
 * The HTTP doors go through front-door.ts, which adds the log line and the intake count.
 */
import { assertNever, jsonLimitIssues, Priority, toFieldIssues, type FieldIssue } from '@revos/envelope';
import { acceptSubmission, type IntakeDeps, type IntakeOptions, type IntakeOutcome, type IntakeResult, type IntakeSource, type RefusalCode } from '@revos/runtime';
import { z } from 'zod';
import type { RunAccepted, RunRefused } from '../contracts/api.js';

/** `options` beside the envelope in a POST /v1/runs body (and an enqueue file): how, not what, to run. */
export const RunOptions = z
  .object({
    priority: Priority.optional(),
    /** Not before this time; any ISO-8601 offset is accepted. */
    run_after_utc: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .strict();
export type RunOptions = z.infer<typeof RunOptions>;

export { RunAccepted, RunRefused } from '../contracts/api.js';

export type RefusalStatus = 400 | 403 | 404 | 409 | 503;

export type SubmitOutcome =
  | { ok: true; httpStatus: 202 | 200; body: RunAccepted; lane: IntakeResult['lane'] }
  | { ok: false; httpStatus: RefusalStatus; body: RunRefused };

export function refused(httpStatus: RefusalStatus, error: string, issues: FieldIssue[]): SubmitOutcome {
  return { ok: false, httpStatus, body: { error, issues } };
}

/** The one place a refusal becomes an HTTP status; a new refusal code does not compile until it is mapped here. */
export function refusalStatus(code: RefusalCode): RefusalStatus {
  switch (code) {
    case 'invalid_envelope':
      return 400;
    case 'tenant_mismatch':
      return 403;
    case 'unknown_workflow':
      return 404;
    case 'idempotency_conflict':
      return 409;
    case 'privacy_not_configured':
      // The deployment's configuration, not the caller's request: nothing to fix in the body.
      return 503;
    default:
      return assertNever(code, 'intake refusal');
  }
}

/** An intake outcome as the front doors answer it. */
export function answerOf(outcome: IntakeOutcome): SubmitOutcome {
  if (!outcome.ok) return refused(refusalStatus(outcome.refusal.code), outcome.refusal.code, outcome.refusal.issues);
  const { lane, ...result } = outcome.result;
  const body: RunAccepted = {
    status: result.status,
    workflow_run_id: result.workflow_run_id,
    root_run_id: result.root_run_id,
    idempotency_key: result.idempotency_key,
    job_id: result.job_id,
  };
  return { ok: true, httpStatus: result.status === 'queued' ? 202 : 200, body, lane };
}

/**
 * A caller's body: a partial envelope plus optional top-level `options`. The options are checked
 * first but their issues are reported together with the envelope's, so one answer names every
 * failing field.
 */
export async function submitRequest(deps: IntakeDeps, body: unknown, tenantId: string, source: IntakeSource): Promise<SubmitOutcome> {
  // Before anything walks the body: a 5,000-deep value must be a 400 naming the rule, not a stack overflow.
  const limits = jsonLimitIssues(body);
  if (limits.length > 0) return refused(refusalStatus('invalid_envelope'), 'invalid_envelope', limits);
  let envelopeInput: unknown = body;
  let options: RunOptions = {};
  let optionIssues: FieldIssue[] = [];
  if (typeof body === 'object' && body !== null && !Array.isArray(body) && 'options' in body) {
    const { options: raw, ...rest } = body as Record<string, unknown>;
    envelopeInput = rest;
    const parsed = RunOptions.safeParse(raw);
    if (parsed.success) options = parsed.data;
    else optionIssues = toFieldIssues(parsed.error, raw).map((i) => ({ ...i, path: i.path ? `options.${i.path}` : 'options' }));
  }
  return submitPartial(deps, envelopeInput, tenantId, {
    source,
    priority: options.priority,
    runAfter: options.run_after_utc ? new Date(options.run_after_utc) : null,
  }, optionIssues);
}

/** Completes and submits a partial envelope built by a front door (the webhooks through front-door.ts; the CLI and replay directly). */
export async function submitPartial(
  deps: IntakeDeps,
  partial: unknown,
  tenantId: string,
  options: IntakeOptions,
  extraIssues: FieldIssue[] = [],
): Promise<SubmitOutcome> {
  return answerOf(await acceptSubmission(deps, partial, tenantId, options, extraIssues));
}
