import type { Sql } from '../client.js';
import { jsonb } from './json.js';
import type { EventRow, Lease } from './effectJournal.js';

export type RunStatus = 'queued' | 'ok' | 'noop' | 'blocked' | 'retry' | 'failed';

/** A workflow_runs row as the worker writes it. */
export interface RunRecord {
  workflowRunId: string;
  parentRunId: string | null;
  rootRunId: string;
  correlationId: string;
  tenantId: string;
  workflowName: string;
  workflowVersion: string;
  idempotencyKey: string;
  jobId: string;
  lane: string;
  triggerSource: string;
  triggerId: string;
  privacyMode: string;
  status: RunStatus;
  failureCode: string | null;
  failureStage: string | null;
  retryCount: number;
  latencyMs: number | null;
  latencyBreach: boolean;
  inputsHash: string | null;
  outputsHash: string | null;
  envelope: unknown;
  output: unknown;
  startedAt: Date | null;
  endedAt: Date | null;
}

export interface OutboxEntry {
  outboxId: string;
  actionIndex: number;
  workflow: string;
  payload: unknown;
  priority: 'high' | 'normal' | 'low';
  runAfter: string | null;
}

export interface TaskEntry {
  taskId: string;
  kind: string;
  failureCode: string | null;
  reason: string;
}

export type LedgerTransition =
  /** The key is done: noop for every later delivery. */
  | { lease: Lease; action: 'finish'; state: 'completed' | 'failed'; resultStatus: string; outputsHash: string }
  /** This attempt failed retryably: keep the key in progress but let the next attempt claim it at once. */
  | { lease: Lease; action: 'release' };

/** An effect whose journal entry is written with the outcome (see `RunOutcome.effects`). */
export interface DeferredEffect {
  effectName: string;
  service: string;
  endpoint: string;
  result: unknown;
  latencyMs: number;
  event: EventRow;
}

export interface RunOutcome {
  run: RunRecord;
  /**
   * Completed effects journaled in this same statement rather than one by one:
   * only for vendors that dedupe by our token, since a crash before this commit
   * means the next attempt calls again (the vendor answers it from its dedupe).
   */
  effects?: DeferredEffect[];
  /** Absent for runs that never owned the key (duplicates, conflicts, invalid input). */
  ledger?: LedgerTransition;
  outbox?: OutboxEntry[];
  task?: TaskEntry;
  events?: EventRow[];
}

/**
 * Writes a run's outcome in ONE statement (so one transaction, one round trip):
 * the ledger's transition, the run row with its output contract, its next_actions
 * into the outbox, its escalation task, and its events. When a ledger transition
 * is given, everything is conditioned on still holding the lease (same fence):
 * a worker that lost the key writes nothing, and learns it from the `false`.
 *
 * A run row in a final status is never overwritten (a late redelivery of a
 * finished run cannot replace its output with a noop).
 */
export async function recordRunOutcome(sql: Sql, o: RunOutcome): Promise<boolean> {
  const r = o.run;
  const ledger = o.ledger;
  const finish = ledger?.action === 'finish' ? ledger : null;
  const outbox = (o.outbox ?? []).map((e) => ({
    outbox_id: e.outboxId,
    action_index: e.actionIndex,
    workflow: e.workflow,
    payload: e.payload,
    priority: e.priority,
    run_after: e.runAfter,
  }));
  const tasks = o.task
    ? [{ task_id: o.task.taskId, kind: o.task.kind, failure_code: o.task.failureCode, reason: o.task.reason }]
    : [];
  const events = (o.events ?? []).map((e) => ({
    event_id: e.eventId,
    workflow_run_id: e.workflowRunId,
    root_run_id: e.rootRunId,
    tenant_id: e.tenantId,
    subject: e.subject,
    event_type: e.eventType,
    direction: e.direction,
    payload_ref: e.payloadRef,
    payload: e.payload,
  }));

  const effects = (o.effects ?? []).map((e) => ({
    effect_name: e.effectName,
    service: e.service,
    endpoint: e.endpoint,
    result: e.result,
    latency_ms: e.latencyMs,
    event_id: e.event.eventId,
    subject: e.event.subject,
    event_type: e.event.eventType,
    direction: e.event.direction,
    payload_ref: e.event.payloadRef,
    payload: e.event.payload,
  }));

  const rows = await sql<{ ok: number }[]>`
    with lease as (
      update idempotency_keys
         set state = coalesce(${finish?.state ?? null}::text, state),
             result_status = coalesce(${finish?.resultStatus ?? null}::text, result_status),
             outputs_hash = coalesce(${finish?.outputsHash ?? null}::text, outputs_hash),
             completed_at = case when ${finish !== null}::boolean then now() else completed_at end,
             locked_by = null,
             lock_expires_at = case when ${finish !== null}::boolean then null else now() end
       where ${ledger !== undefined}::boolean
         and idempotency_key = ${ledger?.lease.idempotencyKey ?? ''}
         and fence = ${ledger?.lease.fence ?? 0}
         and state = 'in_progress'
      returning 1
    ), ok as (
      select 1 as x where not ${ledger !== undefined}::boolean or exists (select 1 from lease)
    ), run as (
      insert into workflow_runs as w (
        workflow_run_id, parent_run_id, root_run_id, correlation_id, tenant_id, workflow_name, workflow_version,
        idempotency_key, job_id, lane, trigger_source, trigger_id, privacy_mode, status, failure_code, failure_stage,
        retry_count, latency_ms, latency_breach, inputs_hash, outputs_hash, envelope, output, started_at, ended_at)
      select ${r.workflowRunId}, ${r.parentRunId}, ${r.rootRunId}, ${r.correlationId}, ${r.tenantId}, ${r.workflowName},
             ${r.workflowVersion}, ${r.idempotencyKey}, ${r.jobId}, ${r.lane}, ${r.triggerSource}, ${r.triggerId},
             ${r.privacyMode}, ${r.status}, ${r.failureCode}, ${r.failureStage}, ${r.retryCount}, ${r.latencyMs},
             ${r.latencyBreach}, ${r.inputsHash}, ${r.outputsHash}, ${jsonb(r.envelope)}::text::jsonb,
             ${jsonb(r.output)}::text::jsonb, ${r.startedAt}, ${r.endedAt}
        from ok
      on conflict (workflow_run_id) do update
        set status = excluded.status, failure_code = excluded.failure_code, failure_stage = excluded.failure_stage,
            retry_count = excluded.retry_count, latency_ms = excluded.latency_ms,
            latency_breach = excluded.latency_breach, inputs_hash = excluded.inputs_hash,
            outputs_hash = excluded.outputs_hash, output = excluded.output,
            started_at = coalesce(w.started_at, excluded.started_at), ended_at = excluded.ended_at, updated_at = now()
        where w.status in ('queued', 'retry')
      returning 1
    ), obx as (
      insert into outbox (outbox_id, tenant_id, parent_run_id, root_run_id, correlation_id, parent_idempotency_key,
                          action_index, workflow, payload, priority, run_after)
      select a.outbox_id, ${r.tenantId}, ${r.workflowRunId}, ${r.rootRunId}, ${r.correlationId}, ${r.idempotencyKey},
             a.action_index, a.workflow, a.payload, a.priority, a.run_after
        from ok, jsonb_to_recordset(${jsonb(outbox)}::text::jsonb) as a(
          outbox_id text, action_index int, workflow text, payload jsonb, priority text, run_after timestamptz)
      on conflict (parent_idempotency_key, action_index) do nothing
      returning 1
    ), tsk as (
      insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, failure_code, reason)
      select t.task_id, ${r.tenantId}, ${r.workflowRunId}, ${r.rootRunId}, ${r.idempotencyKey}, t.kind, t.failure_code, t.reason
        from ok, jsonb_to_recordset(${jsonb(tasks)}::text::jsonb) as t(task_id text, kind text, failure_code text, reason text)
      on conflict (idempotency_key, kind) do nothing
      returning 1
    ), effs as (
      insert into effects as f (idempotency_key, effect_name, tenant_id, workflow_run_id, state, result, service, endpoint,
                                latency_ms, success, event_id, completed_at)
      select ${r.idempotencyKey}, x.effect_name, ${r.tenantId}, ${r.workflowRunId}, 'completed', x.result, x.service,
             x.endpoint, x.latency_ms, true, x.event_id, now()
        from ok, jsonb_to_recordset(${jsonb(effects)}::text::jsonb) as x(
          effect_name text, service text, endpoint text, result jsonb, latency_ms int, event_id text)
      on conflict (idempotency_key, effect_name) do update
        set state = 'completed', result = excluded.result, latency_ms = excluded.latency_ms, success = true,
            failure_code = null, event_id = excluded.event_id, completed_at = now(),
            workflow_run_id = excluded.workflow_run_id, attempts = f.attempts + 1
        where f.state <> 'completed'
      returning f.effect_name
    ), effevs as (
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, subject, event_type, direction, payload_ref,
                          payload, idempotency_key, effect_name)
      select x.event_id, ${r.workflowRunId}, ${r.rootRunId}, ${r.tenantId}, x.subject, x.event_type, x.direction,
             x.payload_ref, x.payload, ${r.idempotencyKey}, x.effect_name
        from jsonb_to_recordset(${jsonb(effects)}::text::jsonb) as x(
          effect_name text, event_id text, subject jsonb, event_type text, direction text, payload_ref text, payload jsonb)
        join effs on effs.effect_name = x.effect_name
      returning 1
    ), evs as (
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, subject, event_type, direction, payload_ref, payload)
      select e.event_id, e.workflow_run_id, e.root_run_id, e.tenant_id, e.subject, e.event_type, e.direction, e.payload_ref, e.payload
        from ok, jsonb_to_recordset(${jsonb(events)}::text::jsonb) as e(
          event_id text, workflow_run_id text, root_run_id text, tenant_id text, subject jsonb, event_type text,
          direction text, payload_ref text, payload jsonb)
      returning 1
    )
    select count(*)::int as ok from ok`;
  return rows[0]?.ok === 1;
}
