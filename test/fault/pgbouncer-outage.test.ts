import { postgresOutageSuite } from './cases/postgres-outage.js';

// Fault#5 with the workers behind a PgBouncer in transaction mode (DATABASE_POOLER=transaction); the cut
// is between the pooler and PostgreSQL. Short profile only (npm test).
postgresOutageSuite({ name: 'short', pooler: 'pgbouncer', outageMs: 5_000, runsPerSecond: 10, loadAroundMs: 1_500, drainTimeoutMs: 90_000 });
