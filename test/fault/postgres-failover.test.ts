import { postgresFailoverSuite } from './cases/postgres-failover.js';

// Short profile (npm test): one failover. The full one: test/fault/full/postgres-failover.test.ts.
postgresFailoverSuite({
  name: 'short',
  runsPerSecond: 15,
  loadBeforeMs: 4_000,
  promoteAfterMs: 1_000,
  loadAfterMs: 5_000,
  reconcileEveryMs: 1_000,
  reconcileGraceMs: 2_000,
  drainTimeoutMs: 60_000,
});
