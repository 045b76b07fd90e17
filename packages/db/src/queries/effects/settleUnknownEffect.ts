import { newEventId } from '@revos/envelope';
import type { Queryable, TransactionSql } from '../../client.js';
import { jsonb } from '../json.js';
import type { EffectState } from './loadEffectJournal.js';

export interface SettleUnknownEffectInput {
  tenantId: string;
  idempotencyKey: string;
  effectName: string;
  /** What staff found at the vendor: it happened (`sent`), or it did not (`not_sent`). */
  outcome: 'sent' | 'not_sent';
  /** Who answered (an operator name or staff user id): the audit names them. */
  actor: string;
  /** Free text kept on the journal entry only (never in events or logs: staff may type PHI). */
  note?: string | null;
}

export type SettleUnknownEffectResult =
  | {
      settled: true;
      workflowRunId: string;
      rootRunId: string;
      effectName: string;
      outcome: 'sent' | 'not_sent';
      /** The journal entry's state before and after (`completed` for sent, `failed` — may be called once — for not_sent). */
      stateBefore: EffectState;
      stateAfter: 'completed' | 'failed';
      /** not_sent: the key's ledger was reopened and the run set back to `queued`, to go again with one new call. */
      runReopened: boolean;
      /** The escalation tasks of the key this answer closed. */
      closedTaskIds: string[];
      /** The `effect.settled` event written on the run. */
      eventId: string;
    }
  | {
      settled: false;
      /** `not_found`: no such effect for the tenant; `not_unknown`: it is not waiting for an answer (see `state`); `run_in_progress`: a worker holds the key right now. */
      reason: 'not_found' | 'not_unknown' | 'run_in_progress';
      state?: EffectState;
    };

/**
 * Runs in the caller's transaction when given one (a task-resolve API settles the task and the journal
 * together), else in its own. Pass the fleet's connection or a transaction with write access to
 * effects, idempotency_keys, workflow_runs, accepted_runs, events and tasks.
 *
 * Staff's answer to an effect whose outcome the vendor could not tell (journal state `unknown`, or a
 * `started` intent a killed worker left), in one transaction so the journal, the ledger, the run, the
 * task and the audit event cannot disagree:
 * - `sent`: the entry completes (result `{ settled: 'sent' }`, its event `effect.settled`); the run
 *   stays failed: nothing is called again.
 * - `not_sent`: the entry becomes `failed` (exactly what lets a later attempt call once), the key's
 *   ledger is reopened (claimable at once) and the run and its accepted record are set back to
 *   `queued`, so the reconciler re-runs it even if nothing else does (`rerunSettledRun` does it at once).
 * Both close the key's open escalation task. Rows are locked in a fixed order (effect, then ledger).
 */
export async function settleUnknownEffect(sql: Queryable, input: SettleUnknownEffectInput): Promise<SettleUnknownEffectResult> {
  if ('begin' in sql) return sql.begin((tx) => settleIn(tx, input)) as Promise<SettleUnknownEffectResult>;
  return settleIn(sql, input);
}

async function settleIn(tx: Queryable, input: SettleUnknownEffectInput): Promise<SettleUnknownEffectResult> {
  const [effect] = await tx<{ state: EffectState; workflow_run_id: string }[]>`
    select state, workflow_run_id from effects
     where tenant_id = ${input.tenantId} and idempotency_key = ${input.idempotencyKey} and effect_name = ${input.effectName}
     for update`;
  if (!effect) return { settled: false, reason: 'not_found' };
  if (effect.state !== 'unknown' && effect.state !== 'started') return { settled: false, reason: 'not_unknown', state: effect.state };
  const [ledger] = await tx<{ state: string; live: boolean; workflow_run_id: string }[]>`
    select state, (state = 'in_progress' and lock_expires_at > now()) as live, workflow_run_id
      from idempotency_keys where idempotency_key = ${input.idempotencyKey} for update`;
  if (ledger?.live) return { settled: false, reason: 'run_in_progress', state: effect.state };

  const runId = ledger?.workflow_run_id ?? effect.workflow_run_id;
  const [run] = await tx<{ root_run_id: string; subject: unknown }[]>`
    select root_run_id, coalesce(envelope->'subject', '{}'::jsonb) as subject from workflow_runs where workflow_run_id = ${runId}`;
  const settlement = {
    outcome: input.outcome,
    actor: input.actor,
    note: input.note ?? null,
    settled_at: new Date().toISOString(),
    state_before: effect.state,
  };
  const eventId = newEventId();
  const eventPayload = { effect: input.effectName, outcome: input.outcome, actor: input.actor, state_before: effect.state };

  if (input.outcome === 'sent') {
    // The effect's own event: staff confirmed it happened, so it is recorded once, like any effect.
    await tx`
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, subject, event_type, direction, payload_ref, payload,
                          idempotency_key, effect_name)
      values (${eventId}, ${runId}, ${run?.root_run_id ?? runId}, ${input.tenantId}, ${jsonb(run?.subject ?? {})}::text::jsonb,
              'effect.settled', 'internal', ${`settlement:${input.effectName}`}, ${jsonb(eventPayload)}::text::jsonb,
              ${input.idempotencyKey}, ${input.effectName})
      on conflict do nothing`;
    await tx`
      update effects set state = 'completed', success = true, failure_code = null, completed_at = now(),
             result = ${jsonb({ settled: 'sent', actor: input.actor })}::text::jsonb,
             event_id = ${eventId}, settlement = ${jsonb(settlement)}::text::jsonb
       where idempotency_key = ${input.idempotencyKey} and effect_name = ${input.effectName}`;
  } else {
    await tx`
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, subject, event_type, direction, payload_ref, payload)
      values (${eventId}, ${runId}, ${run?.root_run_id ?? runId}, ${input.tenantId}, ${jsonb(run?.subject ?? {})}::text::jsonb,
              'effect.settled', 'internal', ${`settlement:${input.effectName}`}, ${jsonb(eventPayload)}::text::jsonb)`;
    await tx`
      update effects set state = 'failed', success = false, failure_code = 'settled_not_sent',
             settlement = ${jsonb(settlement)}::text::jsonb
       where idempotency_key = ${input.idempotencyKey} and effect_name = ${input.effectName}`;
    await reopenRun(tx, input.idempotencyKey, runId);
  }
  const closed = await tx<{ task_id: string }[]>`
    update tasks set status = 'done', closed_at = now()
     where tenant_id = ${input.tenantId} and idempotency_key = ${input.idempotencyKey} and status = 'open'
    returning task_id`;
  return {
    settled: true,
    workflowRunId: runId,
    rootRunId: run?.root_run_id ?? runId,
    effectName: input.effectName,
    outcome: input.outcome,
    stateBefore: effect.state,
    stateAfter: input.outcome === 'sent' ? 'completed' : 'failed',
    runReopened: input.outcome === 'not_sent',
    closedTaskIds: closed.map((t) => t.task_id),
    eventId,
  };
}

/** The key may be claimed again at once; the run and its intake record wait for that new attempt. */
async function reopenRun(tx: Queryable | TransactionSql, key: string, runId: string): Promise<void> {
  await tx`
    update idempotency_keys set state = 'in_progress', lock_expires_at = now(), locked_by = null,
           result_status = null, outputs_hash = null, completed_at = null
     where idempotency_key = ${key}`;
  await tx`update workflow_runs set status = 'queued', updated_at = now() where workflow_run_id = ${runId} and status in ('failed', 'retry')`;
  await tx`update accepted_runs set settled_at = null where idempotency_key = ${key}`;
}
