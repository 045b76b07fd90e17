import { dispatchPending, every, pruneOnce, reconcileOnce, startCronProducer } from '@revos/runtime';
import type { ProducerDeps } from '../platform/deps.js';
import { syncFairShareWeights } from '../services/fair-share-weights.js';
import { retentionOptions } from '../services/retention.js';
import { checkAlerts } from './alerts.js';
import type { BackgroundHandle } from './producer.js';

/** Most outbox entries one dispatcher pass takes; a full batch is followed at once by another. */
const DISPATCH_BATCH = 200;

/**
 * The producer's background work: the outbox dispatcher sweep (workers enqueue
 * their own follow-ups at once; this heals crashes between commit and enqueue),
 * the reconciler (accepted runs whose job Redis lost), the alert checks, the retention prune, the fair-share weights and the cron schedules.
 * Every loop is safe to run on several producer replicas at once.
 */
export async function startBackgroundLoops(deps: ProducerDeps): Promise<BackgroundHandle> {
  const { env, log } = deps;
  // Read and checked before the server listened (producer.ts).
  const schedules = deps.schedules;
  const dispatcher = every(
    'dispatcher',
    env.DISPATCH_INTERVAL_MS,
    async () => {
      while ((await dispatchPending(deps, { limit: DISPATCH_BATCH })).length === DISPATCH_BATCH);
    },
    log,
  );
  const reconciler = every(
    'reconciler',
    env.RECONCILE_INTERVAL_MS,
    async () => {
      const result = await reconcileOnce(deps, { graceMs: env.RECONCILE_GRACE_MS });
      if (result.reenqueued + result.retried > 0) log.warn(result, 'reconciler healed accepted runs');
    },
    log,
  );
  // Alert checks (outbox lag, failure rate per workflow); rows are deduped, so every replica may run them.
  const alerts = every('alerts', env.ALERT_INTERVAL_MS, () => checkAlerts(deps), log);
  const prune = env.PRUNE_INTERVAL_MS > 0 ? every('prune', env.PRUNE_INTERVAL_MS, () => pruneOnce(deps, retentionOptions(env)), log) : null;
  const weights = env.FAIR_SHARE ? every('fair-share-weights', env.FAIR_SHARE_SYNC_INTERVAL_MS, () => syncFairShareWeights(deps), log) : null;
  const cron = schedules.length > 0 ? await startCronProducer({ ...deps, connection: deps.redis, prefix: env.QUEUE_PREFIX }, schedules) : null;
  return {
    async stop() {
      await Promise.all([dispatcher.stop(), reconciler.stop(), alerts.stop(), prune?.stop(), weights?.stop(), cron?.close()]);
    },
  };
}

