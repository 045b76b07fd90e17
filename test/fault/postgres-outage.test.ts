import { postgresOutageSuite } from './cases/postgres-outage.js';

// Short profile (npm test). The full one (30 s): test/fault/full/postgres-outage.test.ts.
postgresOutageSuite({ name: 'short', outageMs: 5_000, runsPerSecond: 10, loadAroundMs: 1_500, drainTimeoutMs: 90_000 });
