import { redisRestartSuite } from './cases/redis-restart.js';

// Short profile (npm test). The full one: test/fault/full/redis-restart.test.ts.
redisRestartSuite({ name: 'short', runs: 50, runsPerSecond: 20, restartAt: 0.6, downMs: 1_000, concurrency: 4, reconcileEveryMs: 1_000, drainTimeoutMs: 90_000 });
