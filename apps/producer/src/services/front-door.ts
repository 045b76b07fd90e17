/**
 * The one submission service of the HTTP front doors (POST /v1/runs, PUT /v1/policy, the generic and
 * Twilio SMS webhooks, the voice webhook): intake (submit.ts), then one log line per outcome and
 * its count in revos_intake_total. A door parses its request, calls this, and maps the answer.
 * The CLI and replay submit through submit.ts directly: they are neither logged nor counted here.
 */
import type { Logger } from '@revos/runtime';
import type { ProducerDeps } from '../platform/deps.js';
import type { SubmitSourceLabel } from '../platform/metrics.js';
import { CHANGE_POLICY_WORKFLOW, submitPolicyChange } from './policy-change.js';
import { submitPartial, submitRequest, type SubmitOutcome } from './submit.js';

/** Which door a submission came through: the tenant (from the API key or the webhook's path) and the metric's source. */
export interface FrontDoor {
  tenantId: string;
  source: SubmitSourceLabel;
  /**
   * Aborted once the door stopped waiting for the outcome and answered without it (the voice
   * webhook at its deadline): an outcome arriving after that is neither logged nor counted.
   */
  abandoned?: AbortSignal;
}

/** What a door submits. */
export type FrontDoorSubmission =
  /** POST /v1/runs: the caller's body, a partial envelope with optional top-level `options`. */
  | { kind: 'request'; body: unknown }
  /** A webhook or a voice turn: the partial envelope the door built for `workflow`. */
  | { kind: 'envelope'; workflow: string; partial: unknown; arrivedAt?: Date }
  /**
   * PUT /v1/policy: a change request, run as WF07_Change_Policy; `changedBy` (from the credential) is
   * recorded as who asked, `changedByLabel` (the caller's own name for its user) beside it.
   */
  | { kind: 'policy_change'; body: unknown; changedBy: string; changedByLabel?: string };

/** Submits, logs the outcome and counts it. Only unexpected errors are thrown (then nothing is logged or counted here). */
export async function submitAtFrontDoor(deps: ProducerDeps, door: FrontDoor, submission: FrontDoorSubmission): Promise<SubmitOutcome> {
  const { tenantId, source } = door;
  let outcome: SubmitOutcome;
  let workflow: string | undefined;
  switch (submission.kind) {
    case 'request':
      outcome = await submitRequest(deps, submission.body, tenantId, source);
      workflow = workflowOf(submission.body);
      break;
    case 'envelope':
      outcome = await submitPartial(deps, submission.partial, tenantId, submission.arrivedAt ? { source, arrivedAt: submission.arrivedAt } : { source });
      workflow = submission.workflow;
      break;
    case 'policy_change':
      outcome = await submitPolicyChange({ ...deps, environment: deps.env.ENVIRONMENT, privacy: deps.privacy }, tenantId, submission.body, submission.changedBy, source, submission.changedByLabel);
      workflow = CHANGE_POLICY_WORKFLOW;
      break;
  }
  if (door.abandoned?.aborted) return outcome;
  logOutcome(deps.log, outcome, tenantId, workflow, source);
  countOutcome(deps, outcome, workflow, source);
  return outcome;
}

/** The workflow a body names, for the log line only (a string or nothing). */
function workflowOf(body: unknown): string | undefined {
  const meta = typeof body === 'object' && body !== null ? (body as { meta?: unknown }).meta : undefined;
  const name = typeof meta === 'object' && meta !== null ? (meta as { workflow_name?: unknown }).workflow_name : undefined;
  return typeof name === 'string' ? name.slice(0, 80) : undefined;
}

/** One line per intake outcome: ids and counts only, never the body. */
function logOutcome(log: Logger, outcome: SubmitOutcome, tenantId: string, workflow: string | undefined, source: SubmitSourceLabel): void {
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
function countOutcome(deps: Pick<ProducerDeps, 'metrics' | 'catalog'>, outcome: SubmitOutcome, workflow: string | undefined, source: SubmitSourceLabel): void {
  const name = workflow !== undefined && deps.catalog.has(workflow) ? workflow : 'unregistered';
  deps.metrics.intake(name, source, outcome.ok ? outcome.body.status : 'refused');
}
