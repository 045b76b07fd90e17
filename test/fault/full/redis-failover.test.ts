import { redisFailoverSuite } from '../cases/redis-failover.js';

// Full profile (npm run test:fault): more runs, a longer unreplicated window (more jobs lost to the failover).
redisFailoverSuite({ name: 'full', runs: 400, runsPerSecond: 30, killAt: 0.5, unreplicatedMs: 3_000, concurrency: 8, reconcileEveryMs: 1_000, reconcileGraceMs: 2_000, drainTimeoutMs: 180_000 });
