import type { Sql } from '../../client.js';

export interface PendingAction {
  outboxId: string;
  tenantId: string;
  parentRunId: string;
  rootRunId: string;
  correlationId: string;
  parentIdempotencyKey: string;
  actionIndex: number;
  workflow: string;
  payload: Record<string, unknown>;
  /** phi_minimized: the real payload, sealed (`payload` is the redacted copy). */
  sealedPayload: string | null;
  priority: 'high' | 'normal' | 'low';
  runAfter: Date | null;
  /** The child's own trigger id; null: derived from the parent's key and the action's index. */
  triggerId: string | null;
  /** The child's subject; null: the parent's. */
  subject: Record<string, unknown> | null;
  /** The parent's stored envelope: the child inherits its tenant, subject and privacy mode. */
  parentEnvelope: unknown;
}

export type ActionResolution =
  | { outboxId: string; state: 'dispatched'; childRunId: string }
  | { outboxId: string; state: 'rejected'; error: string }
  | { outboxId: string; state: 'pending'; error: string };

/**
 * Runs `handle` over up to `limit` pending outbox entries (of one parent run, or
 * all), locked with SKIP LOCKED so several dispatchers never take the same
 * entry, then records each resolution in the same transaction.
 */
export async function dispatchOutbox(
  sql: Sql,
  options: { limit: number; parentRunId?: string },
  handle: (actions: PendingAction[]) => Promise<ActionResolution[]>,
): Promise<ActionResolution[]> {
  return sql.begin(async (tx) => {
    const rows = await tx<
      {
        outbox_id: string; tenant_id: string; parent_run_id: string; root_run_id: string; correlation_id: string;
        parent_idempotency_key: string; action_index: number; workflow: string; payload: Record<string, unknown>;
        sealed_payload: string | null; priority: PendingAction['priority']; run_after: string | null; envelope: unknown;
        trigger_id: string | null; subject: Record<string, unknown> | null;
      }[]
    >`
      select o.outbox_id, o.tenant_id, o.parent_run_id, o.root_run_id, o.correlation_id, o.parent_idempotency_key,
             o.action_index, o.workflow, o.payload, o.sealed_payload, o.priority, o.run_after::text as run_after, run_envelope(r) as envelope,
             o.trigger_id, o.subject
        from outbox o join workflow_runs r on r.workflow_run_id = o.parent_run_id
       where o.state = 'pending' and (${options.parentRunId ?? null}::text is null or o.parent_run_id = ${options.parentRunId ?? null})
       order by o.created_at
       limit ${options.limit}
       for update of o skip locked`;
    if (rows.length === 0) return [];
    const resolutions = await handle(
      rows.map((r) => ({
        outboxId: r.outbox_id,
        tenantId: r.tenant_id,
        parentRunId: r.parent_run_id,
        rootRunId: r.root_run_id,
        correlationId: r.correlation_id,
        parentIdempotencyKey: r.parent_idempotency_key,
        actionIndex: r.action_index,
        workflow: r.workflow,
        payload: r.payload,
        sealedPayload: r.sealed_payload,
        priority: r.priority,
        runAfter: r.run_after ? new Date(r.run_after) : null,
        triggerId: r.trigger_id,
        subject: r.subject,
        parentEnvelope: r.envelope,
      })),
    );
    const updates = resolutions.map((r) => ({
      outbox_id: r.outboxId,
      state: r.state,
      child_run_id: r.state === 'dispatched' ? r.childRunId : null,
      last_error: r.state === 'dispatched' ? null : r.error,
    }));
    await tx`
      update outbox o
         set state = u.state, child_run_id = u.child_run_id, last_error = u.last_error, attempts = o.attempts + 1,
             dispatched_at = case when u.state = 'dispatched' then now() else o.dispatched_at end,
             -- The sealed copy lives until the child holds it (or the action is given up).
             sealed_payload = case when u.state = 'pending' then o.sealed_payload else null end
        from jsonb_to_recordset(${JSON.stringify(updates)}::text::jsonb)
             as u(outbox_id text, state text, child_run_id text, last_error text)
       where o.outbox_id = u.outbox_id`;
    return resolutions;
  });
}
