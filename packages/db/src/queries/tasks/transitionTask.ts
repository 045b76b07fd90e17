import { newEventId, planTaskTransition, type TaskAction } from '@revos/envelope';
import type { TransactionSql } from '../../client.js';
import { jsonb } from '../json.js';
import type { TaskRow } from './task-rows.js';

export type TaskTransitionResult =
  | { kind: 'not_found' }
  | { kind: 'refused'; rule: string; message: string; task: TaskRow }
  | { kind: 'applied' | 'unchanged'; task: TaskRow; eventId: string | null };

/**
 * Claims, resolves or reopens one task and writes its `task.<action>` event. Call it inside a
 * transaction (`withTenant`): the row is locked first, so two staff clicking at once are decided one
 * after the other (the second claim is refused, the second identical resolve is `unchanged`), and
 * the change and its event commit together. The event hangs off the run the task is about and names
 * the actor (from the credential), the caller's own label if it gave one, and the resolution; the note
 * stays on the task, never in the event.
 */
/** `api:key_… (amy)`: who acted, and the name they gave, for comparing claims and naming the holder. */
function claimant(actor: string | null, label: string | null): string | null {
  return actor === null ? null : label === null ? actor : `${actor} (${label})`;
}

export async function transitionTask(
  tx: TransactionSql,
  t: { tenantId: string; taskId: string; change: TaskAction; actor: string; actorLabel?: string | null; note?: string | null },
): Promise<TaskTransitionResult> {
  {
    const [current] = await tx<TaskRow[]>`
      select task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, failure_code, reason, status,
             claimed_by, claimed_by_label, claimed_at::text, resolution, resolution_note, resolved_by, resolved_by_label, created_at::text, closed_at::text
        from tasks where tenant_id = ${t.tenantId} and task_id = ${t.taskId}
         for update`;
    if (!current) return { kind: 'not_found' } as const;
    // Who holds a claim is the credential and the label together: two staff behind one API key, each
    // naming themselves, do not take each other's task.
    const plan = planTaskTransition(
      { status: current.status, claimedBy: claimant(current.claimed_by, current.claimed_by_label), resolution: current.resolution, failureCode: current.failure_code },
      t.change,
      claimant(t.actor, t.actorLabel ?? null)!,
    );
    if (plan.kind === 'refused') return { kind: 'refused', rule: plan.rule, message: plan.message, task: current } as const;
    if (plan.kind === 'unchanged') return { kind: 'unchanged', task: current, eventId: null } as const;
    const resolution = t.change.action === 'resolve' ? t.change.resolution : null;
    const label = t.actorLabel ?? null;
    const [task] = await tx<TaskRow[]>`
      update tasks set
        status = ${plan.to},
        claimed_by = case ${t.change.action} when 'claim' then ${t.actor} when 'reopen' then null else claimed_by end,
        claimed_by_label = case ${t.change.action} when 'claim' then ${label} when 'reopen' then null else claimed_by_label end,
        claimed_at = case ${t.change.action} when 'claim' then now() when 'reopen' then null else claimed_at end,
        resolution = ${resolution},
        resolution_note = case ${t.change.action} when 'resolve' then ${t.note ?? null} when 'reopen' then null else resolution_note end,
        resolved_by = case ${t.change.action} when 'resolve' then ${t.actor} else null end,
        resolved_by_label = case ${t.change.action} when 'resolve' then ${label} else null end,
        closed_at = case ${t.change.action} when 'resolve' then now() else null end
       where tenant_id = ${t.tenantId} and task_id = ${t.taskId}
      returning task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, failure_code, reason, status,
                claimed_by, claimed_by_label, claimed_at::text, resolution, resolution_note, resolved_by, resolved_by_label, created_at::text, closed_at::text`;
    const eventId = newEventId();
    await tx`
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, event_type, direction, payload_ref, payload)
      values (${eventId}, ${current.workflow_run_id}, ${current.root_run_id}, ${t.tenantId}, ${`task.${t.change.action === 'resolve' ? 'resolved' : t.change.action === 'claim' ? 'claimed' : 'reopened'}`},
              'internal', ${`tasks/${t.taskId}/${eventId}`},
              ${jsonb({ task_id: t.taskId, actor: t.actor, ...(label === null ? {} : { actor_label: label }), from: current.status, to: plan.to, resolution, has_note: Boolean(t.note) })}::text::jsonb)`;
    return { kind: 'applied', task: task!, eventId } as const;
  }
}
