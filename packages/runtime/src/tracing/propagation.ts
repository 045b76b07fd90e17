/**
 * The trace context a job carries: a W3C `traceparent` (version 00), serialized into the job's
 * `opts.telemetry.metadata` (the field BullMQ itself uses to carry a trace across the queue), so a
 * run continues the trace of whatever enqueued it: intake for a root, its parent's next action for
 * a follow-up. The envelope is not touched: it is a contract and is hashed.
 *
 * The header is written and read here with the API package alone: the SDK's propagator lives in
 * @opentelemetry/core, which every process (and the CLI) would otherwise load with tracing off.
 */
import { isSpanContextValid, ROOT_CONTEXT, trace, TraceFlags, type Context, type Span } from '@opentelemetry/api';

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The serialized context of `span`, or undefined when it does not record (tracing off: nothing carried). */
export function serializeSpanContext(span: Span): string | undefined {
  if (!span.isRecording()) return undefined;
  const { traceId, spanId, traceFlags } = span.spanContext();
  const flags = (traceFlags & TraceFlags.SAMPLED).toString(16).padStart(2, '0');
  return JSON.stringify({ traceparent: `00-${traceId}-${spanId}-${flags}` });
}

/** The context a job carried (ROOT_CONTEXT when none, or when it is not a valid traceparent). */
export function parseSpanContext(metadata: unknown): Context {
  if (typeof metadata !== 'string' || metadata.length > 1024) return ROOT_CONTEXT;
  let carrier: unknown;
  try {
    carrier = JSON.parse(metadata);
  } catch {
    return ROOT_CONTEXT;
  }
  const header = typeof carrier === 'object' && carrier !== null ? (carrier as Record<string, unknown>).traceparent : undefined;
  const match = typeof header === 'string' ? TRACEPARENT.exec(header) : null;
  if (!match) return ROOT_CONTEXT;
  const spanContext = { traceId: match[1]!, spanId: match[2]!, traceFlags: parseInt(match[3]!, 16) & TraceFlags.SAMPLED, isRemote: true };
  return isSpanContextValid(spanContext) ? trace.setSpanContext(ROOT_CONTEXT, spanContext) : ROOT_CONTEXT;
}
