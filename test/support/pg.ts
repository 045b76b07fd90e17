/**
 * Test databases: the global setup migrates one template database; each test
 * file clones its own copy (CREATE DATABASE ... TEMPLATE is a file copy, far
 * faster than migrating) and drops it afterwards, so files never share rows.
 */
import { createDb, migrateDatabase, type Db } from '@revos/db';
import postgres from 'postgres';
import { ulid } from 'ulid';

export const PG_BASE_URL = process.env.TEST_PG_URL ?? 'postgres://postgres@127.0.0.1:5432';
export const TEMPLATE_DB = 'revos_test_template';
const TEST_DB_PREFIX = 'revos_t_';

export function databaseUrl(name: string): string {
  return `${PG_BASE_URL}/${name}`;
}

function admin() {
  return postgres(databaseUrl('postgres'), { max: 1, onnotice: () => {} });
}

/** Drops databases left by an earlier run that crashed, then builds the template afresh. */
export async function prepareTemplate(): Promise<void> {
  const sql = admin();
  try {
    const stale = await sql<{ datname: string }[]>`
      select datname from pg_database where datname like ${TEST_DB_PREFIX + '%'} or datname = ${TEMPLATE_DB}`;
    for (const { datname } of stale) await sql`drop database if exists ${sql(datname)} with (force)`;
  } finally {
    await sql.end();
  }
  await migrateDatabase(databaseUrl(TEMPLATE_DB));
}

export interface TestDatabase {
  name: string;
  url: string;
  db: Db;
  drop(): Promise<void>;
}

/** A fresh, migrated database of this test file's own. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const name = `${TEST_DB_PREFIX}${ulid().toLowerCase()}`;
  const sql = admin();
  try {
    await sql`create database ${sql(name)} template ${sql(TEMPLATE_DB)}`;
  } finally {
    await sql.end();
  }
  const url = databaseUrl(name);
  const db = createDb({ url, max: 10, applicationName: 'revos-test' });
  return {
    name,
    url,
    db,
    async drop() {
      await db.close();
      const s = admin();
      try {
        await s`drop database if exists ${s(name)} with (force)`;
      } finally {
        await s.end();
      }
    },
  };
}
