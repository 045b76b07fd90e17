import { postgresCrashSuite } from './cases/postgres-crash.js';

// Short profile (npm test): one crash. The full one (several crashes, several hundred runs): test/fault/full/postgres-crash.test.ts.
postgresCrashSuite({
  name: 'short',
  crashes: 1,
  runsPerSecond: 15,
  loadBeforeMs: 4_000,
  betweenMs: 0,
  loadAfterMs: 6_000,
  downMs: 1_500,
  timingPatienceMs: 5_000,
  reconcileEveryMs: 1_000,
  reconcileGraceMs: 2_000,
  drainTimeoutMs: 60_000,
});
