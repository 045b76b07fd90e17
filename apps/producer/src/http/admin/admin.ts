/**
 * The operator surfaces, all behind the admin authentication (admin-auth.ts):
 *   /admin/queues     Bull Board: every lane's queue and the cron queue (read-only unless ADMIN_READ_ONLY=false)
 *                     (our job ids and phi_minimized job data as the board needs them: board-job-ids.ts, board-queues.ts)
 *   /admin/explorer   the run explorer: find a run from any id, its lineage tree and its detail
 *   /admin/tasks      escalation tasks: claim, resolve, reopen (tasks-page.ts)
 *   /admin/api/...    the JSON the explorer and the CLI show (same functions: services/operator.ts)
 *   /metrics          Prometheus, with METRICS_TOKEN as a bearer token or the admin credentials
 * Every write under /admin passes one same-origin and CSRF guard (admin-writes.ts); every credential
 * guess passes one throttle (admin-auth.ts).
 */
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { HonoAdapter } from '@bull-board/hono';
import { serveStatic } from '@hono/node-server/serve-static';
import { listFailedRuns, listOpenTasks } from '@revos/db';
import { LANES } from '@revos/runtime';
import type { Context, Hono } from 'hono';
import type { ProducerDeps } from '../../platform/deps.js';
import { operatorRunDetail, operatorRunTree, parseSince } from '../../services/operator.js';
import type { AppEnv } from '../app-env.js';
import { escapeHtml, page } from '../html.js';
import { AdminAuth, registerAdminAuthRoutes } from './admin-auth.js';
import { requireSameOriginWrites } from './admin-writes.js';
import { jobPageRedirect } from './board-job-ids.js';
import { LaneBoardAdapter } from './board-queues.js';
import { renderExplorerHome, renderRunPage } from './explorer.js';
import { registerKeyRoutes } from './keys-api.js';
import { registerTaskPage } from './tasks-page.js';

export const BOARD_PATH = '/admin/queues';

export function registerAdminRoutes(app: Hono<AppEnv>, deps: ProducerDeps, auth = new AdminAuth(deps)): void {
  const { env, db } = deps;
  const guard = auth.guard();
  app.use('/admin', guard);
  app.use('/admin/*', async (c, next) => (c.req.path === '/admin/login' || c.req.path === '/admin/logout' ? next() : guard(c, next)));
  // Mounted once, before every admin route: no write under /admin escapes it.
  app.use('/admin/*', requireSameOriginWrites(auth, { publicBaseUrl: env.PUBLIC_BASE_URL, boardApiPath: `${BOARD_PATH}/api` }));
  registerAdminAuthRoutes(app, auth);
  app.get('/admin', (c) => c.redirect(BOARD_PATH, 302));

  // Bull Board. Worker replicas need no change to appear: the board reads the queues in Redis.
  // The lanes' adapters find a job by the id the board's UI sends and show phi_minimized data as tokens (board-queues.ts).
  const board = new HonoAdapter(serveStatic);
  const lanes = LANES.map((lane) => new LaneBoardAdapter(deps.queues[lane], { readOnlyMode: env.ADMIN_READ_ONLY, privacy: deps.privacy }));
  createBullBoard({
    queues: [...lanes, new BullMQAdapter(deps.cronQueue, { readOnlyMode: env.ADMIN_READ_ONLY })],
    serverAdapter: board,
    options: {
      uiConfig: {
        boardTitle: 'RevOS queues',
        miscLinks: [
          { text: 'Run explorer', url: '/admin/explorer' },
          { text: 'Log out', url: '/admin/logout' },
        ],
      },
    },
  });
  board.setBasePath(BOARD_PATH);
  // Runs enter only through intake, which records their acceptance: the board may retry, promote or
  // clean jobs (ADMIN_READ_ONLY=false) but never add one or rewrite one's data (a raw job would run
  // a payment no one accepted). The board has no option to hide its "Add job" button; it gets this 403.
  const refuseJobWrite = (c: Context) =>
    c.json({ error: 'board_job_write_refused', message: 'Bull Board cannot add jobs or change job data: runs enter through intake (POST /v1/runs, webhooks, cron, replay)' }, 403);
  app.post(`${BOARD_PATH}/api/queues/:queueName/add`, refuseJobWrite);
  app.patch(`${BOARD_PATH}/api/queues/:queueName/:jobId/update-data`, refuseJobWrite);
  // A job page reloaded from the address bar is sent back to the board's own link (board-job-ids.ts).
  app.get(`${BOARD_PATH}/queue/:queueName/:jobId`, jobPageRedirect(BOARD_PATH));
  app.route(BOARD_PATH, board.registerPlugin());

  // The JSON API (what the explorer renders and the CLI prints).
  app.get('/admin/api/runs/failed', async (c) => {
    const since = parseSince(c.req.query('since'));
    if (since === null) return c.json({ error: 'invalid_since' }, 400);
    const limit = Math.min(Number(c.req.query('limit') ?? 100) || 100, 1000);
    return c.json({ runs: await listFailedRuns(db.sql, { workflow: c.req.query('workflow') || undefined, tenantId: c.req.query('tenant') || undefined, since, limit }) });
  });
  app.get('/admin/api/tasks', async (c) => c.json({ tasks: await listOpenTasks(db.sql, { tenantId: c.req.query('tenant') || undefined, limit: 500 }) }));
  app.get('/admin/api/runs/:id', async (c) => {
    const detail = await operatorRunDetail(db, c.req.param('id'));
    return detail ? c.json(detail) : c.json({ error: 'not_found' }, 404);
  });
  app.get('/admin/api/runs/:id/tree', async (c) => {
    const tree = await operatorRunTree(db, c.req.param('id'));
    return tree ? c.json(tree) : c.json({ error: 'not_found' }, 404);
  });
  app.get('/admin/api/runs/:id/events', async (c) => {
    const detail = await operatorRunDetail(db, c.req.param('id'));
    return detail ? c.json({ workflow_run_id: detail.run.workflow_run_id, events: detail.events }) : c.json({ error: 'not_found' }, 404);
  });

  // The run explorer page.
  app.get('/admin/explorer', async (c) => {
    const id = c.req.query('id')?.trim();
    if (id) return c.redirect(`/admin/explorer/runs/${encodeURIComponent(id)}`, 302);
    const [failed, tasks] = await Promise.all([listFailedRuns(db.sql, { limit: 25 }), listOpenTasks(db.sql, { limit: 25 })]);
    return c.html(renderExplorerHome(failed, tasks));
  });
  app.get('/admin/explorer/runs/:id', async (c) => {
    const id = c.req.param('id');
    const [detail, tree] = await Promise.all([operatorRunDetail(db, id), operatorRunTree(db, id)]);
    if (!detail || !tree) return c.html(page('Not found', `<h1>No run found for <code>${escapeHtml(id)}</code></h1><p class="muted">Tried run id, idempotency key, job id, event, task and outbox ids, correlation and trigger ids.</p>`), 404);
    return c.html(renderRunPage(detail, tree));
  });

  // Escalation tasks as staff work.
  registerTaskPage(app, deps, (c) => auth.csrfToken(c.get('admin')));
  registerKeyRoutes(app, deps); // a tenant's API keys: list, create, revoke (keys-api.ts)

  // Prometheus.
  app.get('/metrics', auth.metricsGuard(), async (c) => {
    const text = await deps.metrics.registry.metrics();
    return c.body(text, 200, { 'content-type': deps.metrics.registry.contentType });
  });
}
