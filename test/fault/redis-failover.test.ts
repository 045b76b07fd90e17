import { redisFailoverSuite } from './cases/redis-failover.js';

// Short profile (npm test). The full one: test/fault/full/redis-failover.test.ts.
redisFailoverSuite({ name: 'short', runs: 80, runsPerSecond: 20, killAt: 0.5, unreplicatedMs: 1_000, concurrency: 4, reconcileEveryMs: 1_000, reconcileGraceMs: 2_000, drainTimeoutMs: 90_000 });
