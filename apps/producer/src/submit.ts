/**
 * One intake path for every front door (API, webhooks, voice, CLI, operator): the runtime's
 * acceptSubmission, and its outcome (or refusal) turned into the same answer body. Only unexpected
 * errors are thrown; everything a caller did wrong comes back as data, listing every failing field.
 */
import { assertNever, jsonLimitIssues, Priority, toFieldIssues, type FieldIssue } from '@revos/envelope';
import { acceptSubmission, type IntakeDeps, type IntakeOptions, type IntakeOutcome, type IntakeResult, type IntakeSource, type Logger, type RefusalCode } from '@revos/runtime';
import { z } from 'zod';
import type { RunAccepted, RunRefused } from './api-description/contracts.js';
import type { ProducerMetrics, SubmitSourceLabel } from './metrics.js';

/** `options` beside the envelope in a POST /v1/runs body (and an enqueue file): how, not what, to run. */
export const RunOptions = z
  .object({
    priority: Priority.optional(),
    /** Not before this time; any ISO-8601 offset is accepted. */
    run_after_utc: z.iso.datetime({ offset: true }).nullable().optional(),
  })
  .strict();
export type RunOptions = z.infer<typeof RunOptions>;

export { RunAccepted, RunRefused } from './api-description/contracts.js';

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

/** Completes and submits a partial envelope built by a front door (webhooks call this directly). */
export async function submitPartial(
  deps: IntakeDeps,
  partial: unknown,
  tenantId: string,
  options: IntakeOptions,
  extraIssues: FieldIssue[] = [],
): Promise<SubmitOutcome> {
  return answerOf(await acceptSubmission(deps, partial, tenantId, options, extraIssues));
}

/** One line per intake outcome: ids and counts only, never the body. */
export function logOutcome(log: Logger, outcome: SubmitOutcome, tenantId: string, workflow: string | undefined, source: IntakeSource): void {
  if (outcome.ok) {
    const b = outcome.body;
    log.info(
      { tenant_id: tenantId, workflow, workflow_run_id: b.workflow_run_id, root_run_id: b.root_run_id, lane: outcome.lane, source, status: b.status },
      b.status === 'queued' ? 'run accepted' : 'duplicate run',
    );
  } else {
    log.info({ tenant_id: tenantId, workflow, source, error: outcome.body.error, issues: outcome.body.issues.length }, 'run refused');
  }
}

/**
 * Counts a front-door outcome in revos_intake_total (and a duplicate as absorbed by the intake
 * layer). An unregistered name is labelled `unregistered`: callers must not mint label values.
 */
export function countOutcome(
  deps: { metrics: ProducerMetrics; catalog: IntakeDeps['catalog'] },
  outcome: SubmitOutcome,
  workflow: string | undefined,
  source: SubmitSourceLabel,
): void {
  const name = workflow !== undefined && deps.catalog.has(workflow) ? workflow : 'unregistered';
  deps.metrics.intake(name, source, outcome.ok ? outcome.body.status : 'refused');
}
