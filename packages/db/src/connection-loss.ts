/**
 * postgres.js runs its array-type query (`fetchArrayTypes`) on every new connection without handling
 * that query's failure: a PostgreSQL crash or restart that cuts a connection while it is being set up
 * rejects it unhandled (fault#9, finding 9c). Nothing of ours awaited it, and the pool reconnects by
 * itself, so a process must not exit for it. This tells that one rejection apart from every other.
 */
const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED', 'CONNECTION_CLOSED', 'CONNECTION_DESTROYED', '57P01', '57P02', '57P03']);

export function isTypeFetchCutByConnectionLoss(error: unknown): boolean {
  const e = error as { code?: unknown; query?: unknown } | null;
  return typeof e?.query === 'string' && e.query.includes('from pg_catalog.pg_type a') && isConnectionLost(String(e.code));
}

/**
 * Behind PgBouncer the same query fails with a connection-exception SQLSTATE (class 08: PgBouncer answers
 * 08P01 "server login has been failing" while it cannot reach the server).
 */
function isConnectionLost(code: string): boolean {
  return CONNECTION_LOST.has(code) || code.startsWith('08');
}
