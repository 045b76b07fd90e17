import type { Sql } from '../client.js';

/** A lease: the key, and the fence and token the run claimed it with (see claimIdempotencyKeys). */
export interface Lease {
  idempotencyKey: string;
  fence: number;
  token: string;
}

/**
 * `started`: intent written, no answer yet (a worker that dies here leaves it); `unknown`: the call
 * ended without telling whether the vendor acted (see VendorOutcome); `completed`: done, result kept;
 * `failed`: the vendor did not get it or refused it, or staff settled it `not_sent`, or a vendor that
 * dedupes by our token lost its answer (a repeat is answered from its dedupe): may be called again.
 */
export type EffectState = 'started' | 'unknown' | 'completed' | 'failed';

export interface JournalEntry {
  effectName: string;
  state: EffectState;
  attempts: number;
  result: unknown;
  service: string;
  endpoint: string;
  latencyMs: number | null;
  success: boolean | null;
  eventId: string | null;
  /** When the latest call was about to be made (null for entries written before it was recorded). */
  intentAt?: Date | null;
  failureCode?: string | null;
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
      intent_at: Date | null;
      failure_code: string | null;
    }[]
  >`select effect_name, state, attempts, result, service, endpoint, latency_ms, success, event_id, intent_at, failure_code
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
        intentAt: r.intent_at,
        failureCode: r.failure_code,
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
  /** Where the effect goes, already masked (`+*******0001`): what staff are asked about. */
  target?: string | null;
}

/**
 * Writes the intent (and its time) before the vendor is called. Returns false when the lease is
 * lost (another worker took the key over): the caller must not call the vendor.
 * An entry the vendor answered "no" to (`failed`) may start again; a `started`
 * one may too (the caller decided the vendor dedupes by our token).
 */
export async function startEffect(sql: Sql, e: StartEffect): Promise<boolean> {
  const [started] = await startEffects(sql, [e]);
  return started!;
}

/** Many intents in one statement (group commit); (key, effect) pairs must be distinct within a call. */
export async function startEffects(sql: Sql, entries: StartEffect[]): Promise<boolean[]> {
  const input = entries.map((e, idx) => ({
    idx,
    key: e.lease.idempotencyKey,
    fence: e.lease.fence,
    token: e.lease.token,
    name: e.effectName,
    tenant: e.tenantId,
    run: e.workflowRunId,
    service: e.service,
    endpoint: e.endpoint,
    target: e.target ?? null,
  }));
  const rows = await sql<{ idx: number }[]>`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::text::jsonb)
        as i(idx int, key text, fence bigint, token text, name text, tenant text, run text, service text, endpoint text, target text)
    ), ins as (
      insert into effects as f (idempotency_key, effect_name, tenant_id, workflow_run_id, state, service, endpoint, intent_at, target)
      select i.key, i.name, i.tenant, i.run, 'started', i.service, i.endpoint, now(), i.target
        from input i
        cross join lateral (
          select 1 from idempotency_keys k
           where k.idempotency_key = i.key and k.fence = i.fence and k.lease_token = i.token and k.state = 'in_progress' limit 1) k
      on conflict (idempotency_key, effect_name) do update
        set state = 'started', attempts = f.attempts + 1, workflow_run_id = excluded.workflow_run_id,
            intent_at = now(), target = coalesce(excluded.target, f.target)
        where f.state <> 'completed'
      returning f.idempotency_key, f.effect_name
    )
    select i.idx from input i join ins on ins.idempotency_key = i.key and ins.effect_name = i.name`;
  const started = new Set(rows.map((r) => r.idx));
  return entries.map((_, idx) => started.has(idx));
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
  const [recorded] = await completeEffects(sql, [f]);
  return recorded!;
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

/** Many results in one statement (group commit); (key, effect) pairs must be distinct within a call. */
export async function completeEffects(sql: Sql, entries: FinishEffect[]): Promise<boolean[]> {
  const input = entries.map((f, idx) => ({ idx, ...effectInputRow(f) }));
  const rows = await sql<{ idx: number }[]>`
    with effect_input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::text::jsonb) as i(idx int, ${sql.unsafe(EFFECT_INPUT_COLUMNS)})
    ), ${effectCompletion(sql)}
    select i.idx from effect_input i join effect_events ev on ev.idempotency_key = i.key and ev.effect_name = i.name`;
  const recorded = new Set(rows.map((r) => r.idx));
  return entries.map((_, idx) => recorded.has(idx));
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

/**
 * The vendor did not get the request, or refused it (`not_sent`), or its lookup proved it absent: the
 * effect did not happen and may be tried again. A call with an intent (`started`, or `unknown` before the
 * lookup) was counted by its intent; a deduping vendor's call writes none, so its failure counts it.
 */
export async function failEffect(sql: Sql, f: FailEffect): Promise<void> {
  await sql`
    insert into effects as e (idempotency_key, effect_name, tenant_id, workflow_run_id, state, service, endpoint,
                              latency_ms, success, failure_code)
    select ${f.lease.idempotencyKey}, ${f.effectName}, ${f.tenantId}, ${f.workflowRunId}, 'failed', ${f.service},
           ${f.endpoint}, ${f.latencyMs}, false, ${f.failureCode}
      from idempotency_keys
     where idempotency_key = ${f.lease.idempotencyKey} and fence = ${f.lease.fence} and lease_token = ${f.lease.token}
       and state = 'in_progress'
    on conflict (idempotency_key, effect_name) do update
      set state = 'failed', latency_ms = excluded.latency_ms, success = false, failure_code = excluded.failure_code,
          attempts = case when e.state in ('started', 'unknown') then e.attempts else e.attempts + 1 end
      where e.state <> 'completed'`;
}
