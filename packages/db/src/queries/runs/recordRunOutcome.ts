import type { Sql } from '../../client.js';
import { recordRunOutcomes, type RunOutcome } from './recordRunOutcomes.js';

/**
 * Writes a run's outcome in ONE statement (so one transaction, one round trip):
 * the ledger's transition, the run row with its output contract, its next_actions
 * into the outbox, its escalation task, its events and deferred effects. When a
 * ledger transition is given, everything is conditioned on still holding the
 * lease (same fence): a worker that lost the key writes nothing, and learns it
 * from the `false`.
 *
 * A run row in a final status is never overwritten (a late redelivery of a
 * finished run cannot replace its output with a noop).
 */
export async function recordRunOutcome(sql: Sql, o: RunOutcome): Promise<boolean> {
  const [written] = await recordRunOutcomes(sql, [o]);
  return written!;
}
