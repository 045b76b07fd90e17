import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';
import { targetSessionAttrs } from './client.js';
import { databaseNameOf, withDatabaseName } from './database-url.js';

/** Committed SQL migrations; the same relative path from src/ and dist/. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../drizzle', import.meta.url));

// An arbitrary constant: every process that migrates takes this advisory lock,
// so replicas starting together do not race on the same migration. Held by a transaction of its own
// (pg_try_advisory_xact_lock), not by the session: behind a pooler in transaction mode a session lock and
// its unlock may land on different server connections, leaving the lock held by a pooled connection.
const MIGRATION_LOCK_ID = 0x7265766f; // "revo"

/** Creates the database named in `url` when it does not exist yet. */
export async function ensureDatabase(url: string): Promise<void> {
  const name = databaseNameOf(url);
  if (!name) throw new Error('DATABASE_URL must name a database (postgres://host:port/<name>)');
  const sql = postgres(withDatabaseName(url, 'postgres'), { ...targetSessionAttrs(url), max: 1, prepare: false, onnotice: () => {} });
  try {
    const found = await sql`select 1 from pg_database where datname = ${name}`;
    if (found.length === 0) {
      try {
        await sql`create database ${sql(name)}`;
      } catch (error) {
        // Another process created it between our check and our create: PostgreSQL
        // answers duplicate_database, or unique_violation when both commit at once.
        const code = (error as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw error;
      }
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Creates (if needed) and migrates the database; safe to run concurrently and repeatedly. */
export async function migrateDatabase(url: string): Promise<void> {
  await ensureDatabase(url);
  // Two connections: one holds the lock in an open transaction while the other migrates (drizzle runs
  // its own transactions). Unprepared statements, so it also runs through a transaction pooler. A process
  // that finds the lock taken ends its transaction and tries again later rather than waiting inside it:
  // behind a pooler, waiters holding server connections can leave the holder none to migrate on.
  const sql = postgres(url, { ...targetSessionAttrs(url), max: 2, prepare: false, onnotice: () => {} });
  try {
    for (let attempt = 0; ; attempt++) {
      const migrated = await sql.begin(async (lock) => {
        const [row] = await lock<{ locked: boolean }[]>`select pg_try_advisory_xact_lock(${MIGRATION_LOCK_ID}) as locked`;
        if (!row?.locked) return false;
        await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
        return true;
      });
      if (migrated) return;
      await new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 1_000)));
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}
