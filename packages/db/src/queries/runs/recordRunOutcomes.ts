import type { OutputContract } from '@revos/envelope';
import type { Sql } from '../../client.js';
import { effectCompletion, EFFECT_INPUT_COLUMNS, effectInputRow, type EventRow } from '../effects/effect-completion.js';
import type { Lease } from '../ledger/lease.js';
import { storedOutputDocument } from '../../stored-output.js';

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
  /** Stored without the meta_out fields the row's columns repeat (stored-output.ts); null until the run ends. */
  output: OutputContract | null;
  startedAt: Date | null;
  endedAt: Date | null;
}

export interface OutboxEntry {
  outboxId: string;
  actionIndex: number;
  workflow: string;
  payload: unknown;
  /** phi_minimized: the real payload, sealed; `payload` then holds the redacted copy. */
  sealedPayload?: string | null;
  priority: 'high' | 'normal' | 'low';
  runAfter: string | null;
  /** The child's own trigger id (its key then does not depend on the parent's); null: derived from the parent. */
  triggerId?: string | null;
  /** The child's subject instead of the parent's (ids only). */
  subject?: Record<string, unknown> | null;
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
 * Many outcomes in one statement (group commit); each is still all-or-nothing
 * on its own lease. Run ids must be distinct within a call.
 */
export async function recordRunOutcomes(sql: Sql, outcomes: RunOutcome[]): Promise<boolean[]> {
  const now = new Date().toISOString();
  const input = outcomes.map((o, idx) => {
    const r = o.run;
    const ledger = o.ledger;
    const finish = ledger?.action === 'finish' ? ledger : null;
    return {
      idx,
      has_ledger: ledger !== undefined,
      lkey: ledger?.lease.idempotencyKey ?? null,
      fence: ledger?.lease.fence ?? null,
      ltoken: ledger?.lease.token ?? null,
      finish: finish !== null,
      lstate: finish?.state ?? null,
      result_status: finish?.resultStatus ?? null,
      louts: finish?.outputsHash ?? null,
      run: {
        workflow_run_id: r.workflowRunId,
        parent_run_id: r.parentRunId,
        root_run_id: r.rootRunId,
        correlation_id: r.correlationId,
        tenant_id: r.tenantId,
        workflow_name: r.workflowName,
        workflow_version: r.workflowVersion,
        idempotency_key: r.idempotencyKey,
        job_id: r.jobId,
        lane: r.lane,
        trigger_source: r.triggerSource,
        trigger_id: r.triggerId,
        privacy_mode: r.privacyMode,
        status: r.status,
        failure_code: r.failureCode,
        failure_stage: r.failureStage,
        retry_count: r.retryCount,
        latency_ms: r.latencyMs,
        latency_breach: r.latencyBreach,
        inputs_hash: r.inputsHash,
        outputs_hash: r.outputsHash,
        envelope: r.envelope,
        output: r.output === null ? null : storedOutputDocument(r.output),
        accepted_at: now,
        started_at: r.startedAt?.toISOString() ?? null,
        ended_at: r.endedAt?.toISOString() ?? null,
        updated_at: now,
      },
      outbox: (o.outbox ?? []).map((e) => ({
        outbox_id: e.outboxId,
        action_index: e.actionIndex,
        workflow: e.workflow,
        payload: e.payload,
        sealed_payload: e.sealedPayload ?? null,
        priority: e.priority,
        run_after: e.runAfter,
        trigger_id: e.triggerId ?? null,
        subject: e.subject ?? null,
      })),
      tasks: o.task ? [{ task_id: o.task.taskId, kind: o.task.kind, failure_code: o.task.failureCode, reason: o.task.reason }] : [],
      events: (o.events ?? []).map((e) => ({
        event_id: e.eventId,
        workflow_run_id: e.workflowRunId,
        root_run_id: e.rootRunId,
        tenant_id: e.tenantId,
        subject: e.subject,
        event_type: e.eventType,
        direction: e.direction,
        payload_ref: e.payloadRef,
        payload: e.payload,
      })),
      // Deferred effects are journaled under the outcome's lease, as every effect is.
      effects: ledger
        ? (o.effects ?? []).map((e) => effectInputRow({ ...e, lease: ledger.lease, tenantId: r.tenantId, workflowRunId: r.workflowRunId }))
        : [],
    };
  });

  const rows = await sql<{ idx: number }[]>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::text::jsonb) as i(
        idx int, has_ledger boolean, lkey text, fence bigint, ltoken text, finish boolean, lstate text, result_status text,
        louts text, run jsonb, outbox jsonb, tasks jsonb, events jsonb, effects jsonb)
    ), lease as (
      update idempotency_keys k
         set state = case when i.finish then i.lstate else k.state end,
             result_status = case when i.finish then i.result_status else k.result_status end,
             outputs_hash = case when i.finish then i.louts else k.outputs_hash end,
             completed_at = case when i.finish then now() else k.completed_at end,
             locked_by = null,
             lock_expires_at = case when i.finish then null else now() end
        from input i
       where i.has_ledger and k.idempotency_key = i.lkey and k.fence = i.fence and k.lease_token = i.ltoken
         and k.state = 'in_progress'
      returning i.idx
    ), ok as (
      select i.* from input i where not i.has_ledger or i.idx in (select idx from lease)
    ), run as (
      insert into workflow_runs as w (
        workflow_run_id, parent_run_id, root_run_id, correlation_id, tenant_id, workflow_name, workflow_version,
        idempotency_key, job_id, lane, trigger_source, trigger_id, privacy_mode, status, failure_code, failure_stage,
        retry_count, latency_ms, latency_breach, inputs_hash, outputs_hash, envelope, output, accepted_at, started_at,
        ended_at, updated_at)
      select r.workflow_run_id, r.parent_run_id, r.root_run_id, r.correlation_id, r.tenant_id, r.workflow_name,
             r.workflow_version, r.idempotency_key, r.job_id, r.lane, r.trigger_source, r.trigger_id, r.privacy_mode,
             r.status, r.failure_code, r.failure_stage, r.retry_count, r.latency_ms, r.latency_breach, r.inputs_hash,
             r.outputs_hash, r.envelope, r.output, r.accepted_at, r.started_at, r.ended_at, r.updated_at
        from ok, jsonb_populate_record(null::workflow_runs, ok.run) r
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
                          action_index, workflow, payload, sealed_payload, priority, run_after, trigger_id, subject)
      select a.outbox_id, ok.run->>'tenant_id', ok.run->>'workflow_run_id', ok.run->>'root_run_id',
             ok.run->>'correlation_id', ok.run->>'idempotency_key', a.action_index, a.workflow, a.payload,
             a.sealed_payload, a.priority, a.run_after, a.trigger_id, a.subject
        from ok, jsonb_to_recordset(ok.outbox) as a(
          outbox_id text, action_index int, workflow text, payload jsonb, sealed_payload text, priority text,
          run_after timestamptz, trigger_id text, subject jsonb)
      on conflict (parent_idempotency_key, action_index) do nothing
      returning 1
    ), tsk as (
      insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, failure_code, reason)
      select t.task_id, ok.run->>'tenant_id', ok.run->>'workflow_run_id', ok.run->>'root_run_id',
             ok.run->>'idempotency_key', t.kind, t.failure_code, t.reason
        from ok, jsonb_to_recordset(ok.tasks) as t(task_id text, kind text, failure_code text, reason text)
      on conflict (idempotency_key, kind) do nothing
      returning 1
    ), evs as (
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, subject, event_type, direction, payload_ref, payload)
      select e.event_id, e.workflow_run_id, e.root_run_id, e.tenant_id, e.subject, e.event_type, e.direction,
             e.payload_ref, e.payload
        from ok, jsonb_to_recordset(ok.events) as e(
          event_id text, workflow_run_id text, root_run_id text, tenant_id text, subject jsonb, event_type text,
          direction text, payload_ref text, payload jsonb)
      returning 1
    ), effect_input as (
      -- The deferred effects of the outcomes that hold their lease, as the shared completion reads them.
      select x.key, x.fence, x.token, x.name, x.tenant, x.run, x.service, x.endpoint, x.result, x.latency_ms, x.event_id,
             x.event_run, x.event_root, x.event_tenant, x.subject, x.event_type, x.direction, x.payload_ref, x.payload
        from ok cross join lateral jsonb_to_recordset(ok.effects) as x(${sql.unsafe(EFFECT_INPUT_COLUMNS)})
    ), ${effectCompletion(sql)}
    select idx from ok`;
  const written = new Set(rows.map((r) => r.idx));
  return outcomes.map((_, idx) => written.has(idx));
}
