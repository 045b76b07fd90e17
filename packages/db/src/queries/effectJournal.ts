import type { Sql } from '../client.js';
import { jsonb } from './json.js';

/** A lease: the key and the fence the run claimed it with. */
export interface Lease {
  idempotencyKey: string;
  fence: number;
}

export interface JournalEntry {
  effectName: string;
  state: 'started' | 'completed' | 'failed';
  attempts: number;
  result: unknown;
  service: string;
  endpoint: string;
  latencyMs: number | null;
  success: boolean | null;
  eventId: string | null;
}

/** The journal of a key, read after a takeover or retry (a fresh claim has none). */
export async function loadEffectJournal(sql: Sql, idempotencyKey: string): Promise<Map<string, JournalEntry>> {
  const rows = await sql<
    {
      effect_name: string;
      state: JournalEntry['state'];
      attempts: number;
      result: unknown;
      service: string;
      endpoint: string;
      latency_ms: number | null;
      success: boolean | null;
      event_id: string | null;
    }[]
  >`select effect_name, state, attempts, result, service, endpoint, latency_ms, success, event_id
      from effects where idempotency_key = ${idempotencyKey}`;
  return new Map(
    rows.map((r) => [
      r.effect_name,
      {
        effectName: r.effect_name,
        state: r.state,
        attempts: r.attempts,
        result: r.result,
        service: r.service,
        endpoint: r.endpoint,
        latencyMs: r.latency_ms,
        success: r.success,
        eventId: r.event_id,
      },
    ]),
  );
}

export interface StartEffect {
  lease: Lease;
  effectName: string;
  tenantId: string;
  workflowRunId: string;
  service: string;
  endpoint: string;
}

/**
 * Writes the intent before the vendor is called. Returns false when the lease is
 * lost (another worker took the key over): the caller must not call the vendor.
 * An entry the vendor answered "no" to (`failed`) may start again; a `started`
 * one may too (the caller decided the vendor dedupes by our token).
 */
export async function startEffect(sql: Sql, e: StartEffect): Promise<boolean> {
  const rows = await sql`
    with lease as (
      select 1 from idempotency_keys
       where idempotency_key = ${e.lease.idempotencyKey} and fence = ${e.lease.fence} and state = 'in_progress'
    )
    insert into effects as f (idempotency_key, effect_name, tenant_id, workflow_run_id, state, service, endpoint)
    select ${e.lease.idempotencyKey}, ${e.effectName}, ${e.tenantId}, ${e.workflowRunId}, 'started', ${e.service}, ${e.endpoint}
      from lease
    on conflict (idempotency_key, effect_name) do update
      set state = 'started', attempts = f.attempts + 1, workflow_run_id = excluded.workflow_run_id
      where f.state <> 'completed'
    returning 1`;
  return rows.length === 1;
}

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
 * Records the effect's result and its event row in one statement (atomic), under
 * the lease: completes a `started` intent, or inserts the entry outright for an
 * effect that wrote no intent (a vendor that dedupes by our token needs none).
 * Returns false when the lease was lost, or the effect was already completed:
 * nothing is written.
 */
export async function completeEffect(sql: Sql, f: FinishEffect): Promise<boolean> {
  const ev = f.event;
  const rows = await sql<{ n: number }[]>`
    with lease as (
      select 1 from idempotency_keys
       where idempotency_key = ${f.lease.idempotencyKey} and fence = ${f.lease.fence} and state = 'in_progress'
    ), eff as (
      insert into effects as e (idempotency_key, effect_name, tenant_id, workflow_run_id, state, result, service, endpoint,
                                latency_ms, success, event_id, completed_at)
      select ${f.lease.idempotencyKey}, ${f.effectName}, ${f.tenantId}, ${f.workflowRunId}, 'completed',
             ${jsonb(f.result)}::text::jsonb, ${f.service}, ${f.endpoint}, ${f.latencyMs}, true, ${ev.eventId}, now()
        from lease
      on conflict (idempotency_key, effect_name) do update
        set state = 'completed', result = excluded.result, latency_ms = excluded.latency_ms, success = true,
            failure_code = null, event_id = excluded.event_id, completed_at = now(),
            workflow_run_id = excluded.workflow_run_id,
            attempts = case when e.state = 'started' then e.attempts else e.attempts + 1 end
        where e.state <> 'completed'
      returning 1
    ), ins as (
      insert into events (event_id, workflow_run_id, root_run_id, tenant_id, subject, event_type, direction,
                          payload_ref, payload, idempotency_key, effect_name)
      select ${ev.eventId}, ${ev.workflowRunId}, ${ev.rootRunId}, ${ev.tenantId}, ${jsonb(ev.subject)}::text::jsonb,
             ${ev.eventType}, ${ev.direction}, ${ev.payloadRef}, ${jsonb(ev.payload)}::text::jsonb,
             ${f.lease.idempotencyKey}, ${f.effectName}
        from eff
      returning 1
    )
    select count(*)::int as n from ins`;
  return rows[0]?.n === 1;
}

export interface FailEffect {
  lease: Lease;
  effectName: string;
  tenantId: string;
  workflowRunId: string;
  service: string;
  endpoint: string;
  latencyMs: number;
  failureCode: string;
}

/** The vendor answered "no" (or could not be reached): the effect did not happen and may be tried again. */
export async function failEffect(sql: Sql, f: FailEffect): Promise<void> {
  await sql`
    insert into effects as e (idempotency_key, effect_name, tenant_id, workflow_run_id, state, service, endpoint,
                              latency_ms, success, failure_code)
    select ${f.lease.idempotencyKey}, ${f.effectName}, ${f.tenantId}, ${f.workflowRunId}, 'failed', ${f.service},
           ${f.endpoint}, ${f.latencyMs}, false, ${f.failureCode}
      from idempotency_keys
     where idempotency_key = ${f.lease.idempotencyKey} and fence = ${f.lease.fence} and state = 'in_progress'
    on conflict (idempotency_key, effect_name) do update
      set state = 'failed', latency_ms = excluded.latency_ms, success = false, failure_code = excluded.failure_code,
          attempts = case when e.state = 'started' then e.attempts else e.attempts + 1 end
      where e.state <> 'completed'`;
}
