/**
 * The run explorer's HTML: server-rendered from the same operator views the admin API and the CLI
 * use; plain HTML and CSS, no script. PHI never reaches these pages for phi_minimized runs: the
 * detail is redacted (operator.ts) before it is rendered.
 */
import type { FailedRunRow, OpenTaskRow } from '@revos/db';
import type { OperatorRunDetail } from '../../services/operator.js';
import { policyVersionsOf, sideEffectLines } from '../../services/side-effects.js';
import { walkTree, type RunTree } from '../../services/views.js';
import { escapeHtml as h, page } from '../html.js';

const runLink = (id: string, text?: string) => `<a class="mono" href="/admin/explorer/runs/${encodeURIComponent(id)}">${h(text ?? id)}</a>`;
const status = (s: string) => `<span class="status ${h(s)}">${h(s)}</span>`;
const ms = (v: unknown) => (v === null || v === undefined ? '<span class="muted">–</span>' : `${h(v)} ms`);
const dash = (v: unknown) => (v === null || v === undefined || v === '' ? '<span class="muted">–</span>' : h(v));
const json = (v: unknown) => `<pre>${h(JSON.stringify(v, null, 2))}</pre>`;

function table(headers: string[], rows: string[][], empty: string, cls = ''): string {
  if (rows.length === 0) return `<p class="muted">${h(empty)}</p>`;
  return `<table class="${cls}"><thead><tr>${headers.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.join('')}</tr>`).join('')}</tbody></table>`;
}

export function renderExplorerHome(failed: FailedRunRow[], tasks: OpenTaskRow[]): string {
  const failedRows = failed.map((r) => [
    `<td>${runLink(r.workflow_run_id)}</td>`,
    `<td>${h(r.workflow_name)}</td>`,
    `<td>${h(r.tenant_id)}</td>`,
    `<td>${dash(r.failure_code)}<span class="muted"> at ${dash(r.failure_stage)}</span></td>`,
    `<td class="num">${r.retry_count}</td>`,
    `<td>${dash(r.ended_at)}</td>`,
  ]);
  const taskRows = tasks.map((t) => [
    `<td class="mono">${h(t.task_id)}</td>`,
    `<td>${h(t.kind)}</td>`,
    `<td>${h(t.status)}${t.claimed_by ? ` <span class="muted">${h(t.claimed_by)}${t.claimed_by_label ? ` (${h(t.claimed_by_label)})` : ''}</span>` : ''}</td>`,
    `<td>${dash(t.workflow_name)}</td>`,
    `<td>${runLink(t.workflow_run_id)}</td>`,
    `<td>${dash(t.failure_code)}</td>`,
    `<td>${h(t.created_at)}</td>`,
  ]);
  return page(
    'Run explorer',
    `<h1>Run explorer</h1>
<p class="muted">Paste any id in the search box: run id, idempotency key, BullMQ job id, event, task or outbox id, correlation or trigger id.</p>
<h2>Recent failed runs</h2>${table(['run', 'workflow', 'tenant', 'failure', 'retries', 'ended'], failedRows, 'No failed runs.')}
<h2>Open escalation tasks <a href="/admin/tasks" class="muted">(work on them)</a></h2>${table(['task', 'kind', 'status', 'workflow', 'run', 'failure', 'opened'], taskRows, 'No open tasks.')}`,
  );
}

function renderTree(tree: RunTree, currentId: string): string {
  const rows: string[] = [];
  for (const { node, depth } of walkTree(tree.tree)) {
    const indent = depth === 0 ? '' : `<span class="indent">${'&nbsp;&nbsp;&nbsp;&nbsp;'.repeat(depth - 1)}└─&nbsp;</span>`;
    const cells = [
      `<td class="wf">${indent}${h(node.workflow_name)} <span class="muted">@${h(node.workflow_version)}</span></td>`,
      `<td>${status(node.status)}</td>`,
      `<td class="num">${ms(node.latency_ms)}</td>`,
      `<td class="num">${node.retry_count}</td>`,
      `<td>${node.latency_breach ? '<span class="breach">breach</span>' : '<span class="muted">no</span>'}</td>`,
      `<td>${runLink(node.workflow_run_id)}</td>`,
    ];
    // The run this page is about is highlighted.
    rows.push(`<tr${node.workflow_run_id === currentId ? ' class="current"' : ''}>${cells.join('')}</tr>`);
  }
  const headers = ['workflow', 'status', 'latency', 'retries', 'breach', 'run'].map((x) => `<th>${x}</th>`).join('');
  return `<table class="tree"><thead><tr>${headers}</tr></thead><tbody>${rows.join('')}</tbody></table>`;
}

export function renderRunPage(d: OperatorRunDetail, tree: RunTree): string {
  const r = d.run;
  const output = r.output;
  const fields: [string, string][] = [
    ['workflow', `${h(r.workflow_name)} <span class="muted">@${h(r.workflow_version)}</span>`],
    ['status', `${status(r.status)}${r.failure_code ? ` <span class="muted">${h(r.failure_code)} at ${dash(r.failure_stage)}</span>` : ''}`],
    ['tenant', h(r.tenant_id)],
    ['run id', `<span class="mono">${h(r.workflow_run_id)}</span>`],
    ['root', runLink(r.root_run_id)],
    ['parent', r.parent_run_id ? runLink(r.parent_run_id) : '<span class="muted">–</span>'],
    ['idempotency key', `<span class="mono">${h(r.idempotency_key)}</span>`],
    ['job id', `<span class="mono">${h(r.job_id)}</span> <span class="muted">(lane ${h(r.lane)})</span>`],
    ['correlation id', `<span class="mono">${h(r.correlation_id)}</span>`],
    ['trigger', `${h(r.trigger_source)}`],
    ['privacy mode', h(r.privacy_mode)],
    ['policy', dash(policyVersionsOf(r.envelope))],
    ['latency', `${ms(r.latency_ms)}${r.latency_breach ? ' <span class="breach">budget breached</span>' : ''}`],
    ['retries', String(r.retry_count)],
    ['accepted / started / ended', `${dash(r.accepted_at)}<br>${dash(r.started_at)}<br>${dash(r.ended_at)}`],
  ];
  const events = d.events.map((e) => [
    `<td class="mono">${h(e.event_id)}</td>`,
    `<td>${h(e.event_type)}</td>`,
    `<td>${h(e.direction)}</td>`,
    `<td>${dash(e.effect_name)}</td>`,
    `<td>${h(e.occurred_at)}</td>`,
    `<td>${e.payload === null ? '<span class="muted">–</span>' : `<code>${h(JSON.stringify(e.payload)).slice(0, 400)}</code>`}</td>`,
  ]);
  const calls = d.external_calls.map((c) => [`<td>${dash(c.service)}</td>`, `<td>${dash(c.endpoint)}</td>`, `<td class="num">${ms(c.latency_ms)}</td>`, `<td>${status(c.success ? 'ok' : 'failed')}</td>`]);
  const tasks = d.tasks.map((t) => [`<td class="mono">${h(t.task_id)}</td>`, `<td>${h(t.kind)}</td>`, `<td>${status(t.status === 'open' ? 'retry' : 'ok').replace(/>(retry|ok)</, `>${h(t.status)}<`)}</td>`, `<td>${dash(t.failure_code)}</td>`, `<td>${h(t.reason)}</td>`, `<td>${h(t.created_at)}</td>`]);
  const result = output?.result;
  const contract = output
    ? `<dl class="fields"><dt>summary</dt><dd>${h(result?.summary)}</dd><dt>inputs hash</dt><dd class="mono">${dash(output.meta_out?.inputs_hash)}</dd><dt>outputs hash</dt><dd class="mono">${dash(output.meta_out?.outputs_hash)}</dd><dt>failure reason</dt><dd>${dash(output.meta_out?.failure_reason)}</dd></dl>
<h3 class="muted">primary outputs</h3>${json(result?.primary_outputs ?? {})}
<h3 class="muted">next actions</h3>${json(result?.next_actions ?? [])}
<h3 class="muted">audit</h3>${json({ ...output.audit, external_calls: undefined })}`
    : '<p class="muted">No output yet (the run is queued or running).</p>';
  return page(
    `${r.workflow_name} ${r.workflow_run_id}`,
    `<h1>${h(r.workflow_name)} ${status(r.status)}</h1>
${d.located.matched !== 'workflow_run_id' ? `<p class="notice">Found by ${h(d.located.matched)}.</p>` : ''}
${d.redacted ? '<p class="notice">phi_minimized run: subject, payload, primary outputs, next-action and event payloads are shown as hashes only.</p>' : ''}
<section class="card" id="lineage"><h2>Lineage from root <span class="mono">${h(tree.root_run_id)}</span> (${tree.runs.length} run${tree.runs.length === 1 ? '' : 's'})</h2>${renderTree(tree, r.workflow_run_id)}</section>
<section class="card" id="detail"><h2>Run</h2><dl class="fields">${fields.map(([k, v]) => `<dt>${h(k)}</dt><dd>${v}</dd>`).join('')}</dl></section>
<section class="card" id="output"><h2>Output contract</h2>${contract}</section>
<section class="card" id="side-effects"><h2>Side effects</h2>${sideEffects(d.events)}</section>
<section class="card" id="events"><h2>Events</h2>${table(['event', 'type', 'direction', 'effect', 'at', 'payload'], events, 'No events.')}</section>
<section class="card" id="calls"><h2>External calls</h2>${table(['service', 'endpoint', 'latency', 'outcome'], calls, 'No external calls.')}</section>
<section class="card" id="tasks"><h2>Escalation tasks</h2>${table(['task', 'kind', 'status', 'failure', 'reason', 'opened'], tasks, 'No tasks.')}</section>
<section class="card" id="envelope"><h2>Envelope</h2>${json(r.envelope)}</section>`,
  );
}

function sideEffects(events: OperatorRunDetail['events']): string {
  const lines = sideEffectLines(events);
  return lines.length === 0 ? '<p class="muted">No side effects.</p>' : `<ul>${lines.map((line) => `<li>${h(line)}</li>`).join('')}</ul>`;
}
