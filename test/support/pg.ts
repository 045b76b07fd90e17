/**
 * Test databases: the global setup migrates one template database; each test
 * file clones its own copy (CREATE DATABASE ... TEMPLATE is a file copy, far
 * faster than migrating) and drops it afterwards, so files never share rows.
 *
 * Several `vitest run`s may share one server (two terminals, CI beside a dev):
 * the template's name carries a hash of the migrations, so it is built once per
 * schema, and only clones older than an hour (crashed runs) are swept.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createDb, migrateDatabase, MIGRATIONS_FOLDER, type Db } from '@revos/db';
import postgres from 'postgres';
import { decodeTime, ulid } from 'ulid';
import { RUNNING_ON_CI, TEST_PG_URL } from './env.js';

export const PG_BASE_URL = TEST_PG_URL;
const TEST_DB_PREFIX = 'revos_t_';
const STALE_AFTER_MS = 60 * 60 * 1000;

function migrationsHash(): string {
  const hash = createHash('sha256');
  for (const file of readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).sort()) {
    hash.update(file).update(readFileSync(join(MIGRATIONS_FOLDER, file)));
  }
  return hash.digest('hex').slice(0, 12);
}

export const TEMPLATE_DB = `revos_tpl_${migrationsHash()}`;

export function databaseUrl(name: string): string {
  return `${PG_BASE_URL}/${name}`;
}

/** A LIKE pattern for names starting with `prefix`: `_` is LIKE's any-character, so `revos_t_` unescaped also matched the templates (`revos_tpl_…`). */
function likePrefix(prefix: string): string {
  return `${prefix.replaceAll('_', '\\_')}%`;
}

function admin() {
  return postgres(databaseUrl('postgres'), { max: 1, onnotice: () => {} });
}

/** Sweeps clones of crashed runs, then builds this schema's template unless it exists. */
export async function prepareTemplate(): Promise<void> {
  const sql = admin();
  try {
    const clones = await sql<{ datname: string }[]>`select datname from pg_database where datname like ${likePrefix(TEST_DB_PREFIX)}`;
    for (const { datname } of clones) {
      if (!datname.startsWith(TEST_DB_PREFIX)) continue;
      const id = datname.slice(TEST_DB_PREFIX.length).replace(/^mig_/, '').split('_')[0]!.toUpperCase();
      let born = 0;
      try {
        born = decodeTime(id);
      } catch {
        born = 0; // not ours to date: old enough
      }
      if (Date.now() - born > STALE_AFTER_MS) await sql`drop database if exists ${sql(datname)} with (force)`;
    }
    // Templates of older schemas are never cloned again; CI runs alone, so it removes them. A developer
    // may be running another checkout's suite (another schema) right now: leave theirs in place.
    const oldTemplates = !RUNNING_ON_CI ? [] : await sql<{ datname: string }[]>`
      select datname from pg_database where (datname like 'revos_tpl_%' and datname <> ${TEMPLATE_DB}) or datname = 'revos_test_template'`;
    for (const { datname } of oldTemplates) await sql`drop database if exists ${sql(datname)} with (force)`.catch(() => {});
    const [exists] = await sql`select 1 from pg_database where datname = ${TEMPLATE_DB}`;
    if (exists) return;
  } finally {
    await sql.end();
  }
  // Built under another name and renamed, so a concurrent run never clones a half-migrated template.
  // The name is a clone's (prefix + ulid): a CI run beside us sweeps other `revos_tpl_%` names at once,
  // but clones only once they are an hour old, so a template being built here is not dropped mid-build.
  const building = `${TEST_DB_PREFIX}${ulid().toLowerCase()}_tpl`;
  await migrateDatabase(databaseUrl(building));
  const s = admin();
  try {
    await s`alter database ${s(building)} rename to ${s(TEMPLATE_DB)}`;
  } catch (error) {
    // Another run finished first: use theirs.
    await s`drop database if exists ${s(building)} with (force)`;
    if ((error as { code?: string }).code !== '42P04') throw error;
  } finally {
    await s.end();
  }
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
  const clone = async () => {
    const sql = admin();
    try {
      await sql`create database ${sql(name)} template ${sql(TEMPLATE_DB)}`;
    } finally {
      await sql.end();
    }
  };
  // 3D000: the template (or the one being built) is gone: a CI run beside us (CI=true) sweeps the
  // templates of other schemas, and a checkout with the same migrations has the same name. Build it
  // again and clone once more, a few times at most.
  for (let attempt = 1; ; attempt++) {
    try {
      await clone();
      break;
    } catch (error) {
      if ((error as { code?: string }).code !== '3D000' || attempt === 3) throw error;
      await prepareTemplate().catch((e: unknown) => {
        if ((e as { code?: string }).code !== '3D000') throw e;
      });
    }
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
