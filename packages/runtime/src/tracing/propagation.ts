/**
 * The trace context a job carries: W3C `traceparent`/`tracestate`, serialized into the job's
 * `opts.telemetry.metadata` (the field BullMQ itself uses to carry a trace across the queue), so a
 * run continues the trace of whatever enqueued it: intake for a root, its parent's next action for
 * a follow-up. The envelope is not touched: it is a contract and is hashed.
 */
import { context, ROOT_CONTEXT, trace, type Context, type Span } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';

const propagator = new W3CTraceContextPropagator();
const setter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };
const getter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};

/** The serialized context of `span`, or undefined when it does not record (tracing off: nothing carried). */
export function serializeSpanContext(span: Span): string | undefined {
  if (!span.isRecording()) return undefined;
  const carrier: Record<string, string> = {};
  propagator.inject(trace.setSpan(context.active(), span), carrier, setter);
  return carrier.traceparent ? JSON.stringify(carrier) : undefined;
}

/** The context a job carried (ROOT_CONTEXT when none, or when it is not ours to read). */
export function parseSpanContext(metadata: unknown): Context {
  if (typeof metadata !== 'string' || metadata.length > 1024) return ROOT_CONTEXT;
  let carrier: unknown;
  try {
    carrier = JSON.parse(metadata);
  } catch {
    return ROOT_CONTEXT;
  }
  if (typeof carrier !== 'object' || carrier === null) return ROOT_CONTEXT;
  const strings = Object.fromEntries(Object.entries(carrier).filter((e): e is [string, string] => typeof e[1] === 'string'));
  return propagator.extract(ROOT_CONTEXT, strings, getter);
}
