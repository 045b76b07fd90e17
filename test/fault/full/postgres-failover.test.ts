import { postgresFailoverSuite } from '../cases/postgres-failover.js';

// Full profile (npm run test:fault): twice the load, and 5 s between the primary's death and the promotion
// (about what Patroni's failure detection takes with ttl 5 s / loop_wait 1 s), so runs pile up meanwhile.
postgresFailoverSuite({
  name: 'full',
  runsPerSecond: 30,
  loadBeforeMs: 8_000,
  promoteAfterMs: 5_000,
  loadAfterMs: 10_000,
  reconcileEveryMs: 1_000,
  reconcileGraceMs: 2_000,
  drainTimeoutMs: 120_000,
});
