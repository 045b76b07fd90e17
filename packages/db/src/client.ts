import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Sql = postgres.Sql;
/** A transaction's client (`sql.begin(tx => ...)`): the same tagged template, without begin/end. */
export type TransactionSql = postgres.TransactionSql;
/** Anything a read query can run on: the pool, or a transaction (e.g. a tenant scope from withTenant). */
export type Queryable = Sql | TransactionSql;

export interface DbOptions {
  /** postgres:// URL of the database. */
  url: string;
  /** Pool size. Each worker process needs about one connection per concurrently running job at peak. */
  max?: number;
  /** Tag shown in pg_stat_activity, to tell fleet processes apart. */
  applicationName?: string;
  /**
   * The pool mode of a connection pooler between the process and PostgreSQL (DATABASE_POOLER). Under
   * `transaction` each transaction may run on another server connection, so statements are not prepared:
   * a statement prepared on one server connection does not exist on the next (`prepared statement "…"
   * does not exist`). Nothing else of the fleet's is session-scoped (docs/operations.md#connection-pooler-pgbouncer).
   */
  pooler?: 'none' | 'session' | 'transaction';
}

export interface Db {
  /** postgres.js tagged-template client, for the hot path (one round trip per statement). */
  sql: Sql;
  /**
   * drizzle, for typed ad-hoc queries (operators, API). It has its own small
   * pool, created on first use: drizzle replaces the date and JSON codecs of the
   * postgres.js client it is given, which would break the raw queries on `sql`.
   */
  readonly orm: PostgresJsDatabase<Schema>;
  close(): Promise<void>;
}

/**
 * Seconds before a connection of the pool reconnects. postgres.js counts failed connects per pool (reset
 * only by a successful one) and by default waits up to 20 s, so after an outage in which a few connections
 * failed, queries queued on a waiting connection hung for 10–20 s although the server was back (fault#9,
 * finding 9b). Capped at 2 s here, with jitter so the pool's connections do not all retry at once.
 */
function reconnectBackoffSeconds(failedConnects: number): number {
  return Math.min(0.05 * 2 ** failedConnects, 2) * (0.5 + Math.random() / 2);
}

/**
 * `target_session_attrs=read-write` as libpq means it (not a hot standby, not read-only by default).
 * postgres.js 3.4 checks only `default_transaction_read_only`, which a hot standby reports `off`: after a
 * failover the pool connected to the standby not yet promoted and every write failed with 25006. Asked
 * for `primary` instead, it refuses a server in recovery and tries the next host.
 */
export function targetSessionAttrs(url: string): { target_session_attrs?: 'primary' } {
  return /[?&]target_session_attrs=read-write(&|$)/.test(url) ? { target_session_attrs: 'primary' } : {};
}

/** Creates a pool; no module-level singleton, so tests and processes own their pools. */
export function createDb(options: DbOptions): Db {
  const prepare = options.pooler !== 'transaction';
  const sql = postgres(options.url, {
    ...targetSessionAttrs(options.url),
    max: options.max ?? 10,
    prepare,
    backoff: reconnectBackoffSeconds,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'revos' },
  });
  let ormClient: postgres.Sql | null = null;
  let orm: PostgresJsDatabase<Schema> | null = null;
  return {
    sql,
    get orm() {
      if (!orm) {
        ormClient = postgres(options.url, { ...targetSessionAttrs(options.url), max: 2, prepare, backoff: reconnectBackoffSeconds, onnotice: () => {}, connection: { application_name: `${options.applicationName ?? 'revos'}:orm` } });
        orm = drizzle(ormClient, { schema });
      }
      return orm;
    },
    async close() {
      await Promise.all([sql.end({ timeout: 5 }), ormClient?.end({ timeout: 5 })]);
    },
  };
}
