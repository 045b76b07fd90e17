/**
 * One tracer per process, exporting spans over OTLP/HTTP (JSON) when an endpoint is configured
 * (OTEL_EXPORTER_OTLP_ENDPOINT) and a no-op tracer otherwise: with tracing off a span costs a
 * shared no-op object, nothing is buffered or sent, and the SDK is not even loaded (it is imported
 * only when an endpoint is set). The provider is never registered globally, so several processes in
 * one test run keep their own tracers.
 */
import { trace, type Tracer } from '@opentelemetry/api';

export interface TracingOptions {
  /** Base URL of an OTLP/HTTP collector (`http://collector:4318`); spans go to `<endpoint>/v1/traces`. Absent: off. */
  endpoint?: string;
  /** `service.name` of this process's spans (revos-producer, revos-worker). */
  serviceName: string;
  /** Extra request headers for the collector (an API key). */
  headers?: Record<string, string>;
}

export interface Tracing {
  tracer: Tracer;
  enabled: boolean;
  /** Sends the spans still buffered and stops; call once at shutdown. */
  shutdown(): Promise<void>;
}

const SCOPE = '@revos/runtime';

/** Tracing switched off: the API's no-op tracer (never records, never exports). */
export const NO_TRACING: Tracing = {
  tracer: trace.getTracerProvider().getTracer(SCOPE),
  enabled: false,
  shutdown: async () => {},
};

export async function createTracing(options: TracingOptions): Promise<Tracing> {
  if (!options.endpoint) return NO_TRACING;
  const [{ OTLPTraceExporter }, { resourceFromAttributes }, { BasicTracerProvider, BatchSpanProcessor }] = await Promise.all([
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace-base'),
  ]);
  const exporter = new OTLPTraceExporter({ url: `${options.endpoint.replace(/\/+$/, '')}/v1/traces`, headers: options.headers });
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': options.serviceName }),
    // Batches bound the cost per span; a full buffer drops spans rather than slow a run down.
    spanProcessors: [new BatchSpanProcessor(exporter, { maxQueueSize: 4096, scheduledDelayMillis: 1000 })],
  });
  return { tracer: provider.getTracer(SCOPE), enabled: true, shutdown: () => provider.shutdown() };
}

/** OTEL_EXPORTER_OTLP_HEADERS as OpenTelemetry writes it: `key=value,key2=value2` (values URL-encoded). */
export function parseOtlpHeaders(value: string | undefined): Record<string, string> | undefined {
  if (!value) return undefined;
  const headers: Record<string, string> = {};
  for (const pair of value.split(',')) {
    const at = pair.indexOf('=');
    if (at <= 0) continue;
    headers[decodeURIComponent(pair.slice(0, at).trim())] = decodeURIComponent(pair.slice(at + 1).trim());
  }
  return headers;
}
