/**
 * One intake path for every front door (API, webhooks, CLI): complete the envelope, submit it,
 * and turn the outcome (or the refusal) into the same answer body. Only unexpected errors are
 * thrown; everything a caller did wrong comes back as data, listing every failing field.
 */
import { isValidationError, jsonLimitIssues, Priority, validateEnvelope, toFieldIssues, type FieldIssue } from '@revos/envelope';
import { completeEnvelope, EnvelopeRejected, type Logger, submitRun, submittedPayloadIssues, UnknownWorkflowError, type IntakeDeps, type IntakeOptions, type IntakeResult, type IntakeSource } from '@revos/runtime';
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

export type SubmitOutcome =
  | { ok: true; httpStatus: 202 | 200; body: RunAccepted; lane: IntakeResult['lane'] }
  | { ok: false; httpStatus: 400 | 403 | 404 | 409; body: RunRefused };

export function refused(httpStatus: 400 | 403 | 404 | 409, error: string, issues: FieldIssue[]): SubmitOutcome {
  return { ok: false, httpStatus, body: { error, issues } };
}

/**
 * A caller's body: a partial envelope plus optional top-level `options`. The options are checked
 * first but their issues are reported together with the envelope's, so one answer names every
 * failing field.
 */
export async function submitRequest(deps: IntakeDeps, body: unknown, tenantId: string, source: IntakeSource): Promise<SubmitOutcome> {
  // Before anything walks the body: a 5,000-deep value must be a 400 naming the rule, not a stack overflow.
  const limits = jsonLimitIssues(body);
  if (limits.length > 0) return refused(400, 'invalid_envelope', limits);
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
  const limits = jsonLimitIssues(partial);
  if (limits.length > 0) return refused(400, 'invalid_envelope', limits);
  try {
    const envelope = completeEnvelope(partial, tenantId, deps.catalog);
    // completeEnvelope answers 404 only when it can name a version; an unknown name without a
    // version would otherwise surface as "workflow_version required", which misleads the caller.
    const name: unknown = envelope.meta.workflow_name;
    if (typeof name === 'string' && !deps.catalog.has(name)) {
      return refused(404, 'unknown_workflow', [{ path: 'meta.workflow_name', rule: 'unknown_workflow', message: `${name.slice(0, 80)} is not registered` }]);
    }
    // The workflow's own payload schema is checked here, before answering, so a wrong payload is
    // a 400 naming its fields instead of a 202 for a run that can only fail in the worker.
    const payloadIssues = submittedPayloadIssues(deps.catalog, envelope);
    if (extraIssues.length > 0 || payloadIssues.length > 0) {
      const checked = validateEnvelope(envelope);
      return refused(400, 'invalid_envelope', [...extraIssues, ...(checked.ok ? [] : checked.issues), ...payloadIssues]);
    }
    const result = await submitRun(deps, envelope, options);
    const { lane, ...rest } = result;
    const body: RunAccepted = {
      status: rest.status,
      workflow_run_id: rest.workflow_run_id,
      root_run_id: rest.root_run_id,
      idempotency_key: rest.idempotency_key,
      job_id: rest.job_id,
    };
    return { ok: true, httpStatus: result.status === 'queued' ? 202 : 200, body, lane };
  } catch (error) {
    if (error instanceof EnvelopeRejected || (error instanceof Error && error.name === 'EnvelopeRejected')) {
      const e = error as EnvelopeRejected;
      return refused(e.httpStatus, e.error, [...extraIssues, ...e.issues]);
    }
    if (isValidationError(error)) return refused(400, 'invalid_envelope', [...extraIssues, ...error.issues]);
    if (error instanceof UnknownWorkflowError || (error instanceof Error && error.name === 'UnknownWorkflowError')) {
      const e = error as UnknownWorkflowError;
      return refused(404, 'unknown_workflow', [{ path: 'meta.workflow_name', rule: 'unknown_workflow', message: `${e.workflow}@${e.version} is not registered` }]);
    }
    throw error;
  }
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
