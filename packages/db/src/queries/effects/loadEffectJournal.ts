import type { Sql } from '../../client.js';

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
