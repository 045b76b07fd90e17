import type { Sql } from '../../client.js';
import { completeEffects } from './completeEffects.js';
import type { FinishEffect } from './effect-completion.js';

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
