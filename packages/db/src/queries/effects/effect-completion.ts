import type { Sql } from '../../client.js';
import type { Lease } from '../ledger/lease.js';

export interface EventRow {
  eventId: string;
  workflowRunId: string;
  rootRunId: string;
  tenantId: string;
  subject: Record<string, unknown>;
  eventType: string;
  direction: 'inbound' | 'outbound' | 'internal';
  payloadRef: string;
  payload: unknown;
}

export interface FinishEffect {
  lease: Lease;
  effectName: string;
  tenantId: string;
  workflowRunId: string;
  service: string;
  endpoint: string;
  result: unknown;
  latencyMs: number;
  event: EventRow;
}

/**
 * The one statement part that journals completed effects: it reads a relation `effect_input` that
 * the enclosing statement defines (columns {@link EFFECT_INPUT_COLUMNS}, one row per effect) and
 * writes each effect's entry and its event, under the lease (same fence, key still in progress).
 * Used by {@link completeEffects} and by the run's outcome (`recordRunOutcomes`) for deferred
 * effects, so both count alike.
 *
 * `attempts` counts calls to the vendor, each once: a call that wrote an intent was counted by
 * `startEffects`, so a `started` entry keeps its count, and so does an `unknown` one (its call was
 * counted when it started; the vendor's lookup that finds it is no call); a completion without an
 * intent of its own (a deduping vendor's deferred effect over an earlier `failed` entry) is one more call.
 * Exposes `effect_rows` (the entries written) and `effect_events` (their events) to the statement.
 */
export function effectCompletion(sql: Sql) {
  return sql`
    effect_rows as (
      insert into effects as e (idempotency_key, effect_name, tenant_id, workflow_run_id, state, result, service, endpoint,
                                latency_ms, success, event_id, completed_at)
      select i.key, i.name, i.tenant, i.run, 'completed', i.result, i.service, i.endpoint, i.latency_ms, true, i.event_id, now()
        from effect_input i
        -- A lateral probe, not a join: the planner guesses 100 rows per jsonb_to_recordset and then
        -- hashes a sequential scan of the whole ledger, so each batch cost grew with the table.
        cross join lateral (
          select 1 from idempotency_keys k
           where k.idempotency_key = i.key and k.fence = i.fence and k.lease_token = i.token and k.state = 'in_progress' limit 1) k
      on conflict (idempotency_key, effect_name) do update
        set state = 'completed', result = excluded.result, latency_ms = excluded.latency_ms, success = true,
            failure_code = null, event_id = excluded.event_id, completed_at = now(),
            workflow_run_id = excluded.workflow_run_id,
            attempts = case when e.state in ('started', 'unknown') then e.attempts else e.attempts + 1 end
        where e.state <> 'completed'
      returning e.idempotency_key, e.effect_name
    ), effect_events as (
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, subject, event_type, direction,
                          payload_ref, payload, idempotency_key, effect_name)
      select i.event_id, i.event_run, i.event_root, i.event_tenant, i.subject, i.event_type, i.direction,
             i.payload_ref, i.payload, i.key, i.name
        from effect_input i join effect_rows r on r.idempotency_key = i.key and r.effect_name = i.name
      returning idempotency_key, effect_name
    )`;
}

/** The columns of `effect_input` (see {@link effectCompletion}), as a record definition. */
export const EFFECT_INPUT_COLUMNS =
  'key text, fence bigint, token text, name text, tenant text, run text, service text, endpoint text, result jsonb, latency_ms int, ' +
  'event_id text, event_run text, event_root text, event_tenant text, subject jsonb, event_type text, direction text, ' +
  'payload_ref text, payload jsonb';

/** One row of `effect_input` (see {@link effectCompletion}). */
export function effectInputRow(f: FinishEffect) {
  return {
    key: f.lease.idempotencyKey,
    fence: f.lease.fence,
    token: f.lease.token,
    name: f.effectName,
    tenant: f.tenantId,
    run: f.workflowRunId,
    service: f.service,
    endpoint: f.endpoint,
    result: f.result,
    latency_ms: f.latencyMs,
    event_id: f.event.eventId,
    event_run: f.event.workflowRunId,
    event_root: f.event.rootRunId,
    event_tenant: f.event.tenantId,
    subject: f.event.subject,
    event_type: f.event.eventType,
    direction: f.event.direction,
    payload_ref: f.event.payloadRef,
    payload: f.event.payload,
  };
}
