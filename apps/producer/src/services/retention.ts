import type { ProducerEnv } from '../platform/env.js';

/** The deployment's retention defaults and batch size, as the prune pass and `revos prune` take them. */
export function retentionOptions(env: ProducerEnv) {
  return { keepDays: env.RETENTION_DAYS, dedupeDays: env.DEDUPE_WINDOW_DAYS, batchSize: env.PRUNE_BATCH_SIZE };
}
