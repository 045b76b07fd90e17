import { dispatchOutbox, type ActionResolution, type PendingAction } from '@revos/db';
import { Envelope, keyForEnvelope, newRunId, sha256Hex, ValidationError } from '@revos/envelope';
import type { Logger } from 'pino';
import { ROOT_CONTEXT, type Context } from '@opentelemetry/api';
import { isIntakeRefused, submitRun, type IntakeDeps } from '../intake/intake.js';
import { startNextActionSpan } from '../tracing/intake-trace.js';
import { carriedContextOfParent } from './parent-context.js';
import { sealContext } from '../privacy/privacy-mode.js';

/**
 * The trigger id of a follow-up run: derived from the parent's key and the
 * action's index only, so dispatching the same action twice (a crash between
 * the enqueue and the outbox update, two dispatchers racing) yields the same
 * child key, which intake answers as a duplicate.
 */
export function childTriggerId(parentIdempotencyKey: string, actionIndex: number): string {
  return `next:${sha256Hex(parentIdempotencyKey).slice(0, 32)}:${actionIndex}`;
}

/**
 * The trigger id of a follow-up that names its own (`NextAction.trigger_id`): the same whichever run
 * asked for it, so two parents asking for the same thing (overlapping reminder sweeps) make one child.
 * Prefixed so it cannot pass for another source's trigger.
 */
export function namedChildTriggerId(triggerId: string): string {
  return `next:${triggerId}`;
}

/**
 * Builds the follow-up run's envelope: lineage from the parent, tenant/privacy inherited, the subject
 * too unless the action names its own.
 */
export function childEnvelope(action: PendingAction, workflowVersion: string, payload: Record<string, unknown> = action.payload): Envelope {
  const parsed = Envelope.safeParse(action.parentEnvelope);
  if (!parsed.success) throw new Error(`parent run ${action.parentRunId} has no valid stored envelope`);
  const parent = parsed.data;
  const triggerId = action.triggerId ? namedChildTriggerId(action.triggerId) : childTriggerId(action.parentIdempotencyKey, action.actionIndex);
  return {
    meta: {
      workflow_name: action.workflow,
      workflow_version: workflowVersion,
      workflow_run_id: newRunId(),
      parent_run_id: action.parentRunId,
      root_run_id: action.rootRunId,
      idempotency_key: keyForEnvelope({ tenant_id: action.tenantId, workflow_name: action.workflow, trigger_id: triggerId, payload }),
      trigger_source: 'workflow',
      trigger_id: triggerId,
      timestamp_utc: new Date().toISOString(),
      tenant_id: action.tenantId,
      location_id: parent.meta.location_id ?? null,
      environment: parent.meta.environment,
      policy_version: parent.meta.policy_version ?? null,
      feature_flags_version: parent.meta.feature_flags_version ?? null,
      privacy_mode: parent.meta.privacy_mode,
      correlation_id: action.correlationId,
    },
    subject: (action.subject as Envelope['subject'] | null) ?? parent.subject,
    payload,
  };
}

export interface DispatchDeps extends IntakeDeps {
  log: Logger;
}

/**
 * Turns pending outbox entries into follow-up runs. Unknown target workflows
 * and invalid payloads are terminal for that action: recorded as `rejected`
 * with the reason, never dropped silently. Infrastructure errors leave the
 * entry pending for the next sweep.
 */
export async function dispatchPending(
  deps: DispatchDeps,
  options: { limit?: number; parentRunId?: string; /** The parent run's span (a worker dispatching at once). */ traceParent?: Context } = {},
): Promise<ActionResolution[]> {
  return dispatchOutbox(deps.db.sql, { limit: options.limit ?? 100, parentRunId: options.parentRunId }, async (actions) => {
    const resolutions: ActionResolution[] = [];
    for (const action of actions) resolutions.push(await dispatchTraced(deps, action, options.traceParent));
    return resolutions;
  });
}

/** dispatchOne under a `revos.next_action` span, whose context the child's job carries. */
async function dispatchTraced(deps: DispatchDeps, action: PendingAction, traceParent: Context | undefined): Promise<ActionResolution> {
  const span = deps.tracer ? startNextActionSpan(deps.tracer, action, traceParent ?? (await sweptParentContext(deps, action))) : null;
  if (!span) return dispatchOne(deps, action);
  const resolution = await dispatchOne(deps, action, span.context);
  span.end({ state: resolution.state, error: 'error' in resolution ? resolution.error : undefined });
  return resolution;
}

/** The sweep has no span of the parent in memory: continue from what the parent's job carried (or its intake record). */
function sweptParentContext(deps: DispatchDeps, action: PendingAction): Promise<Context> {
  const workflowName = (action.parentEnvelope as { meta?: { workflow_name?: string } } | null)?.meta?.workflow_name;
  return carriedContextOfParent(deps, { idempotencyKey: action.parentIdempotencyKey, workflowName }).catch(() => ROOT_CONTEXT);
}

async function dispatchOne(deps: DispatchDeps, action: PendingAction, traceParent?: Context): Promise<ActionResolution> {
  const log = deps.log.child({ outbox_id: action.outboxId, parent_run_id: action.parentRunId, root_run_id: action.rootRunId, correlation_id: action.correlationId });
  const workflow = deps.catalog.latest(action.workflow);
  if (!workflow) {
    log.error({ workflow: action.workflow }, 'next action names an unknown workflow; rejected');
    return { outboxId: action.outboxId, state: 'rejected', error: `unknown_workflow: ${action.workflow} is not registered` };
  }
  try {
    // A phi_minimized parent's action is stored redacted; the child runs on the sealed original.
    let payload = action.payload;
    if (action.sealedPayload) {
      if (!deps.privacy) return { outboxId: action.outboxId, state: 'pending', error: 'sealed payload: PHI_SEAL_KEY not configured on this dispatcher' };
      payload = deps.privacy.sealer.unseal(action.sealedPayload, sealContext.outbox(action.outboxId)) as Record<string, unknown>;
    }
    const result = await submitRun(deps, childEnvelope(action, workflow.version, payload), {
      source: 'dispatcher',
      priority: action.priority,
      runAfter: action.runAfter,
      traceParent,
    });
    return { outboxId: action.outboxId, state: 'dispatched', childRunId: result.workflow_run_id };
  } catch (error) {
    // A follow-up that can never be a valid run is rejected; anything else (Redis, PostgreSQL) is retried.
    const issues = isIntakeRefused(error) ? (error.code === 'invalid_envelope' ? error.issues : null) : error instanceof ValidationError ? error.issues : null;
    if (issues) {
      const reason = issues.map((i) => `${i.path}: ${i.rule}`).join('; ');
      log.error({ issues: issues.map(({ path, rule }) => ({ path, rule })) }, 'next action is not a valid envelope; rejected');
      return { outboxId: action.outboxId, state: 'rejected', error: `invalid_input: ${reason}`.slice(0, 1000) };
    }
    log.warn({ err: error }, 'dispatch failed; will retry on the next sweep');
    return { outboxId: action.outboxId, state: 'pending', error: (error as Error).message.slice(0, 1000) };
  }
}
