/**
 * The operator's task page (`/admin/tasks`, behind the admin login): open and claimed escalation
 * tasks of every tenant (or one), oldest first with their age, and the staff actions on each. Plain
 * HTML forms posting to `/admin/tasks/:tenant/:id/:action`, handled by the same applyTaskAction as
 * the API and the CLI. Each form carries the session's CSRF token; the admin write guard
 * (admin-writes.ts) refuses a post without it or from another origin.
 */
import { listTasks, type ListedTask } from '@revos/db';
import { TaskResolution } from '@revos/envelope';
import type { Context, Hono } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import { applyTaskAction, TaskActionName } from '../../services/tasks.js';
import type { AppEnv } from '../app-env.js';
import { escapeHtml as h, page } from '../html.js';
import { CSRF_FIELD } from './admin-auth.js';

export const TASKS_PAGE = '/admin/tasks';

/** `csrfFor`: the token the page's forms carry (null under basic auth, which has no session). */
export function registerTaskPage(app: Hono<AppEnv>, deps: ProducerDeps, csrfFor: (c: Context<AppEnv>) => string | null): void {
  app.get(TASKS_PAGE, async (c) => {
    const tenant = c.req.query('tenant') || undefined;
    const [active, closed] = await Promise.all([
      listTasks(deps.db.sql, { tenantId: tenant, statuses: ['open', 'claimed'], limit: 500 }),
      listTasks(deps.db.sql, { tenantId: tenant, statuses: ['done'], limit: 500 }),
    ]);
    return c.html(renderTasksPage(active, closed.slice(-25).reverse(), { tenant, notice: c.req.query('notice'), error: c.req.query('error'), csrf: csrfFor(c) }));
  });

  app.post(`${TASKS_PAGE}/:tenant/:id/:action`, async (c) => {
    const action = TaskActionName.safeParse(c.req.param('action'));
    if (!action.success) return c.text('not found', 404);
    const form = await c.req.parseBody();
    const body: Record<string, unknown> = {};
    if (action.data === 'resolve') {
      body.resolution = typeof form['resolution'] === 'string' ? form['resolution'] : undefined;
      if (typeof form['note'] === 'string' && form['note'].trim() !== '') body.note = form['note'].trim();
    }
    const tenantId = c.req.param('tenant');
    const taskId = c.req.param('id');
    const outcome = await applyTaskAction(deps, tenantId, taskId, action.data, body, `admin:${c.get('admin').user}`);
    const back = new URLSearchParams();
    const filter = typeof form['filter'] === 'string' ? form['filter'] : '';
    if (filter) back.set('tenant', filter);
    if (outcome.ok) {
      back.set('notice', `${taskId}: ${outcome.body.task.status}${outcome.body.task.resolution ? ` (${outcome.body.task.resolution})` : ''}`);
      deps.log.info({ tenant_id: tenantId, task_id: taskId, action: action.data, changed: outcome.body.changed, via: 'admin' }, 'task changed');
    } else {
      const detail = outcome.body.issues?.map((i) => i.message).join('; ') ?? outcome.body.message ?? outcome.body.error;
      back.set('error', `${taskId}: ${outcome.body.error}${detail && detail !== outcome.body.error ? ` – ${detail}` : ''}`);
    }
    // Post/redirect/get: a reload does not submit the action again.
    return c.redirect(`${TASKS_PAGE}?${back.toString()}`, 303);
  });
}

/** The caller's own name for who acted (free text from the API), after the credential's name; escaped like every value here. */
const labelled = (label: string | null) => (label ? ` <span class="actor-label">(${h(label)})</span>` : '');

const age = (seconds: number) =>
  seconds < 120 ? `${seconds} s` : seconds < 7200 ? `${Math.floor(seconds / 60)} min` : seconds < 172_800 ? `${Math.floor(seconds / 3600)} h` : `${Math.floor(seconds / 86_400)} d`;

interface FormContext {
  filter: string | undefined;
  csrf: string | null;
}

function actionForm(t: ListedTask, action: 'claim' | 'reopen' | 'resolve', f: FormContext, inner: string, label: string): string {
  const csrf = f.csrf === null ? '' : `<input type="hidden" name="${CSRF_FIELD}" value="${h(f.csrf)}">`;
  return `<form method="post" class="inline" action="${TASKS_PAGE}/${encodeURIComponent(t.tenant_id)}/${encodeURIComponent(t.task_id)}/${action}">
<input type="hidden" name="filter" value="${h(f.filter ?? '')}">${csrf}${inner}<button type="submit" data-action="${action}">${h(label)}</button></form>`;
}

function resolutionsFor(t: ListedTask): TaskResolution[] {
  // sent / not_sent answer the question an unknown vendor outcome asks; other tasks close plainly.
  return t.failure_code === 'effect_outcome_unknown' ? ['sent', 'not_sent', 'resolved', 'dismissed'] : ['resolved', 'dismissed'];
}

function renderActiveRow(t: ListedTask, f: FormContext): string {
  const resolve = actionForm(
    t,
    'resolve',
    f,
    `<select name="resolution" aria-label="resolution">${resolutionsFor(t).map((r) => `<option value="${r}">${r}</option>`).join('')}</select>
<input name="note" placeholder="note" aria-label="note" maxlength="2000">`,
    'Resolve',
  );
  const claimOrReopen = t.status === 'open' ? actionForm(t, 'claim', f, '', 'Claim') : actionForm(t, 'reopen', f, '', 'Release');
  return `<tr data-task="${h(t.task_id)}">
<td class="mono">${h(t.task_id)}</td><td>${h(t.tenant_id)}</td><td>${h(t.kind)}</td>
<td class="reason">${t.failure_code ? `<code>${h(t.failure_code)}</code>` : ''}<div class="muted">${h(t.reason.slice(0, 140))}</div></td>
<td><a class="mono" href="/admin/explorer/runs/${encodeURIComponent(t.workflow_run_id)}">${h(t.workflow_name ?? t.workflow_run_id)}</a></td>
<td class="num">${age(t.age_s)}</td>
<td><span class="status ${t.status === 'open' ? 'retry' : 'queued'}">${h(t.status)}</span>${t.claimed_by ? `<div class="muted">${h(t.claimed_by)}${labelled(t.claimed_by_label)}</div>` : ''}</td>
<td class="actions">${claimOrReopen}${resolve}</td></tr>`;
}

function renderClosedRow(t: ListedTask, f: FormContext): string {
  return `<tr data-task="${h(t.task_id)}">
<td class="mono">${h(t.task_id)}</td><td>${h(t.tenant_id)}</td><td>${h(t.kind)}</td>
<td><span class="status ok">${h(t.resolution ?? 'done')}</span></td><td>${h(t.resolved_by ?? '')}${labelled(t.resolved_by_label)}</td><td>${h(t.resolution_note ?? '')}</td>
<td>${h(t.closed_at ?? '')}</td><td class="actions">${actionForm(t, 'reopen', f, '', 'Reopen')}</td></tr>`;
}

export function renderTasksPage(active: ListedTask[], closed: ListedTask[], o: { tenant?: string; notice?: string; error?: string; csrf: string | null }): string {
  const f: FormContext = { filter: o.tenant, csrf: o.csrf };
  const head = (cols: string[]) => `<thead><tr>${cols.map((x) => `<th>${h(x)}</th>`).join('')}</tr></thead>`;
  return page(
    'Tasks',
    `<style>form.inline{display:flex;flex-wrap:wrap;gap:4px;margin:0 0 4px;align-items:center} td.actions{width:250px} td.actions input[name=note]{width:120px} select{font:inherit;padding:4px} td.reason{min-width:200px} #active-tasks td.mono, #closed-tasks td.mono{font-size:11px}</style>
<h1>Escalation tasks</h1>
<form method="get" action="${TASKS_PAGE}" class="inline" style="display:inline-flex"><input name="tenant" value="${h(o.tenant ?? '')}" placeholder="tenant id (all when empty)" aria-label="tenant"><button type="submit">Filter</button></form>
${o.notice ? `<p class="notice" role="status">${h(o.notice)}</p>` : ''}${o.error ? `<p class="notice error" role="alert">${h(o.error)}</p>` : ''}
<h2>Open and claimed (${active.length})</h2>
${active.length === 0 ? '<p class="muted">No open tasks.</p>' : `<table id="active-tasks">${head(['task', 'tenant', 'kind', 'reason', 'run', 'age', 'status', 'actions'])}<tbody>${active.map((t) => renderActiveRow(t, f)).join('')}</tbody></table>`}
<h2>Recently resolved</h2>
${closed.length === 0 ? '<p class="muted">None yet.</p>' : `<table id="closed-tasks">${head(['task', 'tenant', 'kind', 'resolution', 'by', 'note', 'closed', ''])}<tbody>${closed.map((t) => renderClosedRow(t, f)).join('')}</tbody></table>`}`,
  );
}

