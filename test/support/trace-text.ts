/**
 * A trace the OTLP collector received, drawn as a text tree (what a trace view shows): each span
 * under its parent in start order, with its service, start offset, duration and the attributes an
 * operator reads first. Used to show real traces in docs/operations.md (deploy/grafana/preview/fleet.ts).
 */
import type { CollectedSpan } from './otlp-collector.js';

/** Attributes shown beside a span, by their short name (the span's name already carries the workflow). */
const SHOWN: [string, string][] = [
  ['revos.intake_source', 'source'],
  ['revos.intake_status', 'status'],
  ['revos.lane', 'lane'],
  ['revos.job_attempt', 'attempt'],
  ['revos.status', 'status'],
  ['revos.failure_code', 'failure'],
  ['revos.latency_breach', 'breach'],
  ['revos.service', 'service'],
  ['revos.endpoint', 'endpoint'],
  ['revos.success', 'success'],
  ['revos.vendor_outcome', 'outcome'],
  ['revos.action_index', 'action'],
  ['revos.dispatch_state', 'state'],
  ['revos.requeue_reason', 'reason'],
  ['revos.requeue_repair', 'repair'],
];

function label(span: CollectedSpan): string {
  const workflow = span.attributes['revos.workflow'];
  // A next action names the workflow it starts; intake names the run it accepts.
  if ((span.name === 'revos.intake' || span.name === 'revos.next_action') && workflow) return `${span.name} ${workflow}`;
  return span.name;
}

/** A duration: milliseconds, or seconds from one second on (a retry's backoff is minutes). */
function ms(ns: bigint): string {
  const millis = Number(ns) / 1e6;
  return millis < 1000 ? `${millis.toFixed(1)} ms` : `${(millis / 1000).toFixed(3)} s`;
}

export function renderTrace(spans: CollectedSpan[], traceId: string): string {
  const trace = spans.filter((s) => s.traceId === traceId).sort((a, b) => Number(a.startNs - b.startNs));
  const ids = new Set(trace.map((s) => s.spanId));
  const children = new Map<string | null, CollectedSpan[]>();
  for (const span of trace) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    children.set(parent, [...(children.get(parent) ?? []), span]);
  }
  const origin = trace[0]?.startNs ?? 0n;
  const rows: string[][] = [];
  const walk = (parent: string | null, prefix: string) => {
    const list = children.get(parent) ?? [];
    list.forEach((span, i) => {
      const lastChild = i === list.length - 1;
      const branch = parent === null ? '' : lastChild ? '└─ ' : '├─ ';
      const attributes = SHOWN.filter(([key]) => span.attributes[key] !== undefined).map(([key, short]) => `${short}=${span.attributes[key]}`);
      rows.push([`${prefix}${branch}${label(span)}`, span.service, `+${ms(span.startNs - origin)}`, ms(span.endNs - span.startNs), attributes.join(' ')]);
      walk(span.spanId, parent === null ? '' : `${prefix}${lastChild ? '   ' : '│  '}`);
    });
  };
  walk(null, '');
  const widths = [0, 1, 2, 3].map((c) => Math.max(...rows.map((r) => [...r[c]!].length)));
  const pad = (text: string, width: number, right = false) => (right ? text.padStart(width) : text + ' '.repeat(width - [...text].length));
  return rows.map((r) => [pad(r[0]!, widths[0]!), pad(r[1]!, widths[1]!), pad(r[2]!, widths[2]!, true), pad(r[3]!, widths[3]!, true), r[4]].join('  ').trimEnd()).join('\n');
}
