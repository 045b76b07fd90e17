import { postgresCrashSuite } from '../cases/postgres-crash.js';

// Full profile (npm run test:fault): four crashes, several hundred runs. Crashes are far apart: after
// a restart the fleet takes seconds to resume (postgres.js reconnect backoff), and each crash waits
// for runs to be claiming again.
postgresCrashSuite({
  name: 'full',
  crashes: 4,
  runsPerSecond: 20,
  loadBeforeMs: 5_000,
  betweenMs: 12_000,
  loadAfterMs: 8_000,
  downMs: 3_000,
  timingPatienceMs: 15_000,
  reconcileEveryMs: 1_000,
  reconcileGraceMs: 2_000,
  drainTimeoutMs: 180_000,
});
