import { newEventId, newTaskId } from '@revos/envelope';
import type { Sql } from '../../client.js';
import { jsonb } from '../json.js';

/**
 * Opens a task for staff from inside a run (a patient asked to reschedule) with its `task.created`
 * event, in one statement. One task per (idempotency key, kind): a retried or re-delivered run gets
 * the task the first attempt opened, and no second event.
 */
export async function openStaffTask(
  sql: Sql,
  t: {
    tenantId: string;
    workflowRunId: string;
    rootRunId: string;
    idempotencyKey: string;
    kind: string;
    reason: string;
    subject: Record<string, unknown>;
    /** phi_minimized runs keep the event's payload_ref only. */
    omitEventPayload: boolean;
  },
): Promise<{ taskId: string; created: boolean }> {
  const taskId = newTaskId();
  const eventId = newEventId();
  const [row] = await sql<{ task_id: string; created: boolean }[]>`
    with ins as (
      insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, reason)
      values (${taskId}, ${t.tenantId}, ${t.workflowRunId}, ${t.rootRunId}, ${t.idempotencyKey}, ${t.kind}, ${t.reason})
      on conflict (idempotency_key, kind) do nothing
      returning task_id
    ), ev as (
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, subject, event_type, direction, payload_ref, payload)
      select ${eventId}, ${t.workflowRunId}, ${t.rootRunId}, ${t.tenantId}, ${jsonb(t.subject)}::text::jsonb, 'task.created',
             'internal', ${`tasks/${taskId}`},
             ${t.omitEventPayload ? null : jsonb({ task_id: taskId, kind: t.kind })}::text::jsonb
        from ins
      returning 1
    )
    select coalesce((select task_id from ins),
                    (select task_id from tasks where idempotency_key = ${t.idempotencyKey} and kind = ${t.kind})) as task_id,
           exists (select 1 from ins) as created`;
  return { taskId: row!.task_id, created: row!.created };
}
