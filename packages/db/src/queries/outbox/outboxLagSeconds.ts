import type { Sql } from '../../client.js';

/** Age in seconds of the oldest pending outbox entry (0 when none): the outbox lag. */
export async function outboxLagSeconds(sql: Sql): Promise<number> {
  const [row] = await sql<{ lag: number | null }[]>`
    select extract(epoch from now() - min(created_at))::float8 as lag from outbox where state = 'pending'`;
  return row?.lag ?? 0;
}
