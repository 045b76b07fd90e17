import { postgresOutageSuite } from '../cases/postgres-outage.js';

// Full profile (npm run test:fault): a 30 s outage.
postgresOutageSuite({ name: 'full', outageMs: 30_000, runsPerSecond: 15, loadAroundMs: 5_000, drainTimeoutMs: 180_000 });
