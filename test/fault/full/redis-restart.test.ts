import { redisRestartSuite } from '../cases/redis-restart.js';

// Full profile (npm run test:fault): 500 runs, Redis killed after 300 and down for 3 s.
redisRestartSuite({ name: 'full', runs: 500, runsPerSecond: 25, restartAt: 0.6, downMs: 3_000, concurrency: 8, reconcileEveryMs: 1_000, drainTimeoutMs: 180_000 });
