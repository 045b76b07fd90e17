/** Text output of the CLI: aligned tables and the run views (`--json` prints the API's bodies instead). */
import { policyVersionsOf, sideEffectLines } from '../services/side-effects.js';
import type { RunView } from '@revos/db';
import type { RedactedRun } from '../services/operator.js';
import { walkTree, type RunDetail, type RunTree } from '../services/views.js';

/** Left-aligned columns, two spaces apart. */
export function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')).join('\n');
}

/**
 * Free text someone else typed (an API caller's label), made safe for a terminal: control characters
 * (escape sequences, newlines) are written as \u escapes instead of being sent to the screen.
 */
export const printable = (text: string) => text.replace(/[\u0000-\u001f\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);

/** A cell for a value that may be absent. */
export const dash = (v: unknown) => (v === null || v === undefined || v === '' ? '-' : String(v));

export function formatEvents(events: RunDetail['events']): string {
  if (events.length === 0) return 'events: none';
  return table([['EVENT_ID', 'TYPE', 'DIRECTION', 'EFFECT', 'AT', 'PAYLOAD_REF'], ...events.map((e) => [e.event_id, e.event_type, e.direction, dash(e.effect_name), e.occurred_at, e.payload_ref])]);
}

export function formatTree(tree: RunTree): string {
  const rows = [['WORKFLOW', 'STATUS', 'LATENCY_MS', 'RETRIES', 'BREACH', 'RUN_ID']];
  for (const { node, depth } of walkTree(tree.tree)) {
    rows.push([`${'  '.repeat(depth)}${node.workflow_name}`, node.status, dash(node.latency_ms), String(node.retry_count), node.latency_breach ? 'yes' : 'no', node.workflow_run_id]);
  }
  return `root ${tree.root_run_id} (${tree.runs.length} run${tree.runs.length === 1 ? '' : 's'})\n${table(rows)}`;
}

/** A run's detail as text: a tenant's own run, or an operator's view of any (redacted when phi_minimized). */
export function formatDetail(d: RunDetail<RunView | RedactedRun>): string {
  const r = d.run;
  const fields: [string, unknown][] = [
    ['run', r.workflow_run_id],
    ['workflow', `${r.workflow_name}@${r.workflow_version}`],
    ['status', r.status],
    ['failure', r.failure_code ? `${r.failure_code} at ${dash(r.failure_stage)}` : null],
    ['tenant', r.tenant_id],
    ['root', r.root_run_id],
    ['parent', r.parent_run_id],
    ['idempotency_key', r.idempotency_key],
    ['job_id', r.job_id],
    ['lane', r.lane],
    ['trigger_source', r.trigger_source],
    ['privacy_mode', r.privacy_mode],
    ['policy', policyVersionsOf(r.envelope)],
    ['retry_count', r.retry_count],
    ['latency_ms', r.latency_ms],
    ['latency_breach', r.latency_breach ? 'yes' : 'no'],
    ['accepted_at', r.accepted_at],
    ['started_at', r.started_at],
    ['ended_at', r.ended_at],
  ];
  const parts = [table(fields.map(([k, v]) => [`${k}:`, dash(v)]))];
  const section = (title: string, rows: string[][]) => parts.push('', rows.length > 1 ? `${title}\n${table(rows)}` : `${title}: none`);
  const effects = sideEffectLines(d.events);
  parts.push('', effects.length > 0 ? `side effects\n${effects.map((line) => `  ${line}`).join('\n')}` : 'side effects: none');
  section('events', [['EVENT_ID', 'TYPE', 'DIRECTION', 'EFFECT', 'AT'], ...d.events.map((e) => [e.event_id, e.event_type, e.direction, dash(e.effect_name), e.occurred_at])]);
  section('external calls', [
    ['SERVICE', 'ENDPOINT', 'LATENCY_MS', 'SUCCESS'],
    ...d.external_calls.map((c) => [dash(c.service), dash(c.endpoint), dash(c.latency_ms), dash(c.success)]),
  ]);
  section('tasks', [['TASK_ID', 'KIND', 'STATUS', 'FAILURE', 'CREATED_AT'], ...d.tasks.map((t) => [t.task_id, t.kind, t.status, dash(t.failure_code), t.created_at])]);
  return parts.join('\n');
}
