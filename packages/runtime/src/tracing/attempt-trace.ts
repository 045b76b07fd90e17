/**
 * The spans of one attempt in a worker: the attempt (`revos.run`), the convention's nodes as its
 * children in the order they run (`revos.node <name>`), and each vendor call under the node that
 * made it (`revos.vendor_call`). The pipeline only marks where a node begins and wraps its vendor
 * calls; everything else is here. Attributes are ids, names and codes: never payloads, subjects'
 * data, message text or trigger ids (a client may put anything there).
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { Envelope } from '@revos/envelope';

/** The envelope's ids as span attributes (the same ids the logs are bound to). */
export function runAttributes(envelope: Envelope): Record<string, string> {
  const meta = envelope.meta;
  return {
    'revos.workflow': meta.workflow_name,
    'revos.workflow_version': meta.workflow_version,
    'revos.workflow_run_id': meta.workflow_run_id,
    'revos.root_run_id': meta.root_run_id,
    ...(meta.parent_run_id ? { 'revos.parent_run_id': meta.parent_run_id } : {}),
    'revos.correlation_id': meta.correlation_id,
    'revos.tenant_id': meta.tenant_id,
    'revos.privacy_mode': meta.privacy_mode,
  };
}

export interface VendorCallSpan {
  /**
   * `code` is the call's failure code as the adapter classified it (`vendor_unavailable` for a 5xx,
   * `network` for a reset, `timeout`), the same code the journal and the attempt record; `outcome`
   * (VendorOutcome) says whether the vendor may have acted (`unknown`) or surely did not (`not_sent`).
   */
  end(result: { success: boolean; code?: string; outcome?: string }): void;
}

/** What the pipeline tells the trace; the no-op below is used when nobody traces. */
export interface AttemptTrace {
  /** The envelope passed validation: its ids go on the attempt's span. */
  identify(envelope: Envelope): void;
  /** A node of the convention begins (the previous one ends). */
  node(name: string): void;
  vendorCall(effect: string, service: string, endpoint: string): VendorCallSpan;
  /** The attempt's outcome: status and codes on the span; ends every open span. */
  end(outcome: { status: string; failureCode?: string | null; failureStage?: string | null; latencyBreach?: boolean }): void;
  /** The context follow-ups continue from (the attempt's span). */
  readonly context: Context;
}

const NO_CALL: VendorCallSpan = { end() {} };

export const NO_ATTEMPT_TRACE: AttemptTrace = {
  identify() {},
  node() {},
  vendorCall: () => NO_CALL,
  end() {},
  context: ROOT_CONTEXT,
};

export interface AttemptTraceInput {
  tracer: Tracer;
  /** The context the job carried. */
  parent: Context;
  lane: string;
  jobId: string;
  attempt: number;
  /** The job's workflow name (validated later; used only as the span's name). */
  workflowName: string;
  /** When the job became due (enqueued, or its delay elapsed) and when this worker took it (ms). */
  queuedAt: number | null;
  pickedAt: number;
}

export function startAttemptTrace(input: AttemptTraceInput): AttemptTrace {
  const { tracer, parent } = input;
  // The queue wait, from the job being due to this pickup: only the first attempt waited in the queue
  // as its trigger's caller did (a retry's wait is its backoff, chosen by us).
  if (input.queuedAt !== null && input.attempt === 1 && input.pickedAt >= input.queuedAt) {
    tracer
      .startSpan('revos.queue_wait', { kind: SpanKind.CONSUMER, startTime: input.queuedAt, attributes: { 'revos.lane': input.lane } }, parent)
      .end(input.pickedAt);
  }
  const runSpan = tracer.startSpan(
    `revos.run ${input.workflowName}`,
    { kind: SpanKind.CONSUMER, attributes: { 'revos.lane': input.lane, 'revos.job_attempt': input.attempt } },
    parent,
  );
  const runContext = trace.setSpan(parent, runSpan);
  let current: Span | null = null;
  let currentContext = runContext;
  const endNode = () => {
    current?.end();
    current = null;
    currentContext = runContext;
  };
  return {
    context: runContext,
    identify(envelope) {
      runSpan.setAttributes(runAttributes(envelope));
    },
    node(name) {
      endNode();
      current = tracer.startSpan(`revos.node ${name}`, { attributes: { 'revos.node': name } }, runContext);
      currentContext = trace.setSpan(runContext, current);
    },
    vendorCall(effect, service, endpoint) {
      const span = tracer.startSpan(
        'revos.vendor_call',
        { kind: SpanKind.CLIENT, attributes: { 'revos.effect': effect, 'revos.service': service, 'revos.endpoint': endpoint } },
        currentContext,
      );
      return {
        end({ success, code, outcome }) {
          span.setAttribute('revos.success', success);
          if (code) span.setAttribute('revos.failure_code', code);
          if (outcome) span.setAttribute('revos.vendor_outcome', outcome);
          if (!success) span.setStatus({ code: SpanStatusCode.ERROR, message: code ?? 'failed' });
          span.end();
        },
      };
    },
    end({ status, failureCode, failureStage, latencyBreach }) {
      endNode();
      runSpan.setAttribute('revos.status', status);
      if (failureCode) runSpan.setAttribute('revos.failure_code', failureCode);
      if (failureStage) runSpan.setAttribute('revos.failure_stage', failureStage);
      if (latencyBreach !== undefined) runSpan.setAttribute('revos.latency_breach', latencyBreach);
      if (status === 'failed' || status === 'blocked') runSpan.setStatus({ code: SpanStatusCode.ERROR, message: failureCode ?? status });
      runSpan.end();
    },
  };
}
