/**
 * Escalation tasks as staff work, shared by `/v1/tasks`, `revos tasks` and the operator page so they
 * cannot disagree: list, claim, resolve (resolved | dismissed | sent | not_sent, with a note) and
 * reopen. Each change is one transaction with its `task.*` event; a repeated identical action is
 * answered as done and writes nothing. WF42 stops paging once a task is claimed or resolved.
 */
import { findUnsettledEffect, listTasks, transitionTask, withTenant, type Db, type ListedTask, type TaskRow } from '@revos/db';
import { rerunSettledRun, type IntakeDeps, type RerunOutcome } from '@revos/runtime';
import { TaskResolution, TaskStatus, toFieldIssues, type FieldIssue, type TaskAction } from '@revos/envelope';
import { z } from 'zod';
import { settleTaskEffect, SettlementRefusedError } from './settle-task-effect.js';
import { TASK_TIMES, withRfc3339 } from './timestamps.js';

export const TaskActionName = z.enum(['claim', 'resolve', 'reopen']);
export type TaskActionName = z.infer<typeof TaskActionName>;

/**
 * The body of `POST /v1/tasks/:id/resolve` (claim and reopen take `{actor?}` only). `actor` is the
 * caller's own free-text name for whoever acted: kept as the task's label, never as who acted.
 */
export const TaskActionBody = z
  .object({
    actor: z.string().min(1).max(120).optional(),
    resolution: TaskResolution.optional(),
    note: z.string().max(2000).optional(),
  })
  .strict();

export type TaskOutcome =
  | { ok: true; status: 200; body: { task: TaskRow; changed: boolean; event_id: string | null; rerun?: RerunOutcome } }
  | { ok: false; status: 400 | 404 | 409; body: { error: string; issues?: FieldIssue[]; message?: string; task?: TaskRow } };

/**
 * Applies `action` to task `taskId` of `tenantId`. `actor` names who acted, from the credential
 * (`api:<key id>`, `admin:<user>`, `cli:<operator>`); a body's `actor` is stored apart as its label.
 */
export async function applyTaskAction(deps: IntakeDeps, tenantId: string, taskId: string, action: TaskActionName, input: unknown, actor: string): Promise<TaskOutcome> {
  const { db } = deps;
  const parsed = TaskActionBody.safeParse(input ?? {});
  if (!parsed.success) return { ok: false, status: 400, body: { error: 'invalid_body', issues: toFieldIssues(parsed.error, input) } };
  const { resolution, note } = parsed.data;
  const actorLabel = parsed.data.actor ?? null;
  if (action === 'resolve' && resolution === undefined) {
    return { ok: false, status: 400, body: { error: 'invalid_body', issues: [{ path: 'resolution', rule: 'required', message: 'resolve needs resolution: resolved | dismissed | sent | not_sent' }] } };
  }
  if (action !== 'resolve' && (resolution !== undefined || note !== undefined)) {
    return { ok: false, status: 400, body: { error: 'invalid_body', issues: [{ path: resolution !== undefined ? 'resolution' : 'note', rule: 'not_allowed', message: `${action} takes no resolution or note` }] } };
  }
  const change: TaskAction = action === 'resolve' ? { action, resolution: resolution! } : { action };
  let reopenedRunId: string | null = null;
  let outcome: TaskOutcome;
  try {
    outcome = await withTenant(db.sql, tenantId, async (tx): Promise<TaskOutcome> => {
      const result = await transitionTask(tx, { tenantId, taskId, change, actor, actorLabel, note: note ?? null });
      if (result.kind === 'not_found') return { ok: false, status: 404, body: { error: 'not_found' } };
      if (result.kind === 'refused') return { ok: false, status: 409, body: { error: result.rule, message: result.message, task: withRfc3339(result.task, TASK_TIMES) } };
      if (result.kind === 'applied' && (resolution === 'sent' || resolution === 'not_sent')) {
        const effect = await findUnsettledEffect(tx, tenantId, result.task.idempotency_key);
        if (!effect) throw new TaskRefusal('no_unsettled_effect', 'the run of this task has no vendor call whose outcome is unknown');
        // Same transaction: the task closes only if the journal is settled too.
        const settled = await settleTaskEffect(tx, { tenantId, idempotencyKey: result.task.idempotency_key, effectName: effect.effectName, outcome: resolution, actor, note: note ?? null });
        if (settled.runReopened) reopenedRunId = settled.workflowRunId;
      }
      return { ok: true, status: 200, body: { task: withRfc3339(result.task, TASK_TIMES), changed: result.kind === 'applied', event_id: result.eventId } };
    });
  } catch (error) {
    // Thrown inside the transaction so nothing of the task's change is kept.
    if (error instanceof SettlementRefusedError) return { ok: false, status: 409, body: { error: error.rule, message: error.message } };
    if (error instanceof TaskRefusal) return { ok: false, status: 409, body: { error: error.rule, message: error.message } };
    throw error;
  }
  // not_sent: the run goes again now with exactly one new call (if this fails, the reconciler re-runs it).
  if (reopenedRunId && outcome.ok) outcome.body.rerun = await rerunSettledRun(deps, reopenedRunId);
  return outcome;
}

/** GET /v1/tasks without `limit`; the OpenAPI document states the same constant. */
export const DEFAULT_TASK_LIST_LIMIT = 200;
export const MAX_TASK_LIST_LIMIT = 1000;

/** The tasks staff work through: open and claimed by default (`all`: every status), oldest first. */
export async function listTenantTasks(db: Db, tenantId: string, q: { status?: string; limit?: string }): Promise<{ ok: true; body: { tasks: ListedTask[] } } | { ok: false; status: 400; body: { error: string; issues: FieldIssue[] } }> {
  const statuses = q.status === undefined || q.status === '' ? undefined : q.status === 'all' ? [...TaskStatus.options] : q.status.split(',');
  const issues: FieldIssue[] = [];
  if (statuses && !statuses.every((s) => TaskStatus.safeParse(s).success)) issues.push({ path: 'status', rule: 'enum', message: 'status must be all, or open, claimed or done (comma-separated)' });
  const limit = q.limit === undefined ? DEFAULT_TASK_LIST_LIMIT : Number(q.limit);
  if (!/^\d+$/.test(q.limit ?? '1') || !Number.isInteger(limit) || limit < 1 || limit > MAX_TASK_LIST_LIMIT) issues.push({ path: 'limit', rule: 'range', message: `limit must be an integer from 1 to ${MAX_TASK_LIST_LIMIT}` });
  if (issues.length > 0) return { ok: false, status: 400, body: { error: 'invalid_query', issues } };
  const tasks = await withTenant(db.sql, tenantId, (tx) => listTasks(tx, { tenantId, statuses: statuses as TaskStatus[] | undefined, limit }));
  return { ok: true, body: { tasks: tasks.map((t) => withRfc3339(t, TASK_TIMES)) } };
}

class TaskRefusal extends Error {
  override name = 'TaskRefusal';
  constructor(
    readonly rule: string,
    message: string,
  ) {
    super(message);
  }
}
