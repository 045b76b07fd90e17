import { listFairShareWeights } from '@revos/db';
import { writeFairShareWeights } from '@revos/runtime';
import type { ProducerDeps } from '../platform/deps.js';

/**
 * Copies the tenants' `fair_share_weight` into Redis, where the enqueue script reads it (one hash for
 * every lane). Run at start and by a background loop, so a changed config counts within one interval
 * on every producer and worker.
 */
export async function syncFairShareWeights(deps: Pick<ProducerDeps, 'db' | 'queues' | 'env'>): Promise<number> {
  const weights = await listFairShareWeights(deps.db.sql);
  await writeFairShareWeights(deps.queues.batch, deps.env.QUEUE_PREFIX, weights);
  return weights.size;
}
