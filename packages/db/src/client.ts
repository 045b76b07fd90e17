import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import * as schema from './schema.js';

export type Schema = typeof schema;
export type Sql = postgres.Sql;

export interface DbOptions {
  /** postgres:// URL of the database. */
  url: string;
  /** Pool size. Each worker process needs about one connection per concurrently running job at peak. */
  max?: number;
  /** Tag shown in pg_stat_activity, to tell fleet processes apart. */
  applicationName?: string;
}

export interface Db {
  /** postgres.js tagged-template client, for the hot path (one round trip per statement). */
  sql: Sql;
  /** drizzle over the same pool, for everything else. */
  orm: PostgresJsDatabase<Schema>;
  close(): Promise<void>;
}

/** Creates a pool; no module-level singleton, so tests and processes own their pools. */
export function createDb(options: DbOptions): Db {
  const sql = postgres(options.url, {
    max: options.max ?? 10,
    onnotice: () => {},
    connection: { application_name: options.applicationName ?? 'revos' },
  });
  return {
    sql,
    orm: drizzle(sql, { schema }),
    close: () => sql.end({ timeout: 5 }),
  };
}
