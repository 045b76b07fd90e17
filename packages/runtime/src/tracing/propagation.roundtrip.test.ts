import { INVALID_SPAN_CONTEXT, ROOT_CONTEXT, trace, TraceFlags, type Span } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import { parseSpanContext, serializeSpanContext } from './propagation.js';

/** A recording span's context without an SDK: enough for the codec, which reads only spanContext(). */
function recordingSpan(traceId: string, spanId: string): Span {
  const span = trace.wrapSpanContext({ traceId, spanId, traceFlags: TraceFlags.SAMPLED });
  return Object.assign(Object.create(span) as Span, { isRecording: () => true });
}

describe('trace context carried in a job', () => {
  it('round-trips the trace and span ids as a W3C traceparent', () => {
    const carried = serializeSpanContext(recordingSpan('4bf92f3577b34da6a3ce929d0e0e4736', '00f067aa0ba902b7'));
    expect(JSON.parse(carried!)).toEqual({ traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' });
    const parent = trace.getSpanContext(parseSpanContext(carried));
    expect(parent).toMatchObject({ traceId: '4bf92f3577b34da6a3ce929d0e0e4736', spanId: '00f067aa0ba902b7', traceFlags: TraceFlags.SAMPLED, isRemote: true });
  });

  it('carries nothing for a span that does not record (tracing off)', () => {
    expect(serializeSpanContext(trace.wrapSpanContext(INVALID_SPAN_CONTEXT))).toBeUndefined();
  });

  it('starts a new trace, never throws, for whatever else a job may hold', () => {
    const bad = [
      undefined,
      42,
      'not json',
      '{"traceparent":7}',
      '[]',
      JSON.stringify({ traceparent: '01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' }), // unknown version
      JSON.stringify({ traceparent: '00-00000000000000000000000000000000-00f067aa0ba902b7-01' }), // invalid trace id
      JSON.stringify({ traceparent: '00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01' }), // upper case is not W3C
      JSON.stringify({ traceparent: `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`, padding: 'x'.repeat(2000) }), // oversized
    ];
    for (const metadata of bad) expect(parseSpanContext(metadata)).toBe(ROOT_CONTEXT);
  });
});
