import type { Queryable } from '../../client.js';

/** The traceparent a key's run was first enqueued with (null: tracing was off, or no such key). */
export async function findRunTraceContext(sql: Queryable, idempotencyKey: string): Promise<string | null> {
  const [r] = await sql<{ trace_context: string | null }[]>`select trace_context from accepted_runs where idempotency_key = ${idempotencyKey}`;
  return r?.trace_context ?? null;
}
