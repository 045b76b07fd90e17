/**
 * Spans where work enters a queue: intake (`revos.intake`: a root from the API, a webhook, cron, the
 * CLI or a replay) and a next action (`revos.next_action`: a follow-up the dispatcher submits). The
 * job then carries the span's context, so the run that picks it up continues the same trace.
 */
import { SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Envelope } from '@revos/envelope';
import { runAttributes } from './attempt-trace.js';
import { serializeSpanContext } from './propagation.js';

export interface EnqueueSpan {
  /** What the job carries (undefined when tracing is off). */
  readonly carried: string | undefined;
  end(outcome: { status: string; error?: unknown }): void;
}

const NOT_TRACED: EnqueueSpan = { carried: undefined, end() {} };

/** `outcomeAttribute` names what `end`'s status means on the span (an intake's answer, a repair's kind). */
function wrap(span: Span, outcomeAttribute: string): EnqueueSpan {
  return {
    carried: serializeSpanContext(span),
    end({ status, error }) {
      span.setAttribute(outcomeAttribute, status);
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.name : 'error' });
      span.end();
    },
  };
}

/** `parent`: the next action's span for a follow-up; absent for a root, whose trace starts here. */
export function startIntakeSpan(tracer: Tracer | undefined, envelope: Envelope, source: string, lane: string, parent?: Context): EnqueueSpan {
  if (!tracer) return NOT_TRACED;
  const span = tracer.startSpan(
    'revos.intake',
    { kind: SpanKind.PRODUCER, attributes: { ...runAttributes(envelope), 'revos.intake_source': source, 'revos.lane': lane } },
    parent,
  );
  return wrap(span, 'revos.intake_status');
}

export interface RequeueSpanInput {
  workflowRunId: string;
  workflowName: string;
  lane: string;
  /** Who found the run without a live job: the reconciler's sweep, or a staff settlement re-running it. */
  reason: string;
}

/**
 * An accepted run put back in its queue after it lost its job (`revos.requeue`), under the trace its job
 * first carried (`parent`, from the accepted_runs row or the stale job): the re-enqueued run continues
 * that trace instead of starting a new one. `end`'s status is the repair made (enqueued, replaced_stale, retried).
 */
export function startRequeueSpan(tracer: Tracer | undefined, run: RequeueSpanInput, parent: Context): EnqueueSpan {
  if (!tracer) return NOT_TRACED;
  const span = tracer.startSpan(
    'revos.requeue',
    {
      kind: SpanKind.PRODUCER,
      attributes: { 'revos.workflow': run.workflowName, 'revos.workflow_run_id': run.workflowRunId, 'revos.lane': run.lane, 'revos.requeue_reason': run.reason },
    },
    parent,
  );
  return wrap(span, 'revos.requeue_repair');
}

export interface NextActionSpanInput {
  outboxId: string;
  workflow: string;
  actionIndex: number;
  parentRunId: string;
  rootRunId: string;
  correlationId: string;
}

/** A follow-up being dispatched, under the parent run's span (or its trace, when only that is known). */
export function startNextActionSpan(tracer: Tracer, action: NextActionSpanInput, parent: Context): { context: Context; end(outcome: { state: string; error?: string }): void } {
  const span = tracer.startSpan(
    'revos.next_action',
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'revos.outbox_id': action.outboxId,
        'revos.workflow': action.workflow,
        'revos.action_index': action.actionIndex,
        'revos.parent_run_id': action.parentRunId,
        'revos.root_run_id': action.rootRunId,
        'revos.correlation_id': action.correlationId,
      },
    },
    parent,
  );
  return {
    context: trace.setSpan(parent, span),
    end({ state, error }) {
      span.setAttribute('revos.dispatch_state', state);
      // The reason names a code and a field, never a value (see the dispatcher's resolutions).
      if (state !== 'dispatched') span.setStatus({ code: SpanStatusCode.ERROR, message: (error ?? state).split(':')[0] });
      span.end();
    },
  };
}
