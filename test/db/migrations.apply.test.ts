import { migrateDatabase } from '@revos/db';
import postgres from 'postgres';
import { ulid } from 'ulid';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../support/pg.js';

const name = `revos_t_mig_${ulid().toLowerCase()}`;
const url = databaseUrl(name);

afterAll(async () => {
  const admin = postgres(databaseUrl('postgres'), { max: 1, onnotice: () => {} });
  await admin`drop database if exists ${admin(name)} with (force)`;
  await admin.end();
});

describe('migrateDatabase', () => {
  it('creates a missing database, applies every migration, and is a no-op the second time', async () => {
    await migrateDatabase(url);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      const tables = await sql<{ table_name: string }[]>`
        select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
      expect(tables.map((t) => t.table_name)).toEqual([
        'accepted_runs',
        'address_consents',
        'alerts',
        'api_keys',
        'appointment_prompts',
        'consents',
        'effects',
        'events',
        'idempotency_keys',
        'outbox',
        'subject_contacts',
        'tasks',
        'tenants',
        'voice_call_turns',
        'workflow_runs',
      ]);
      const [before] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;

      await migrateDatabase(url);

      const [after] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(after?.n).toBe(before?.n);
      expect(before?.n).toBeGreaterThan(0);
    } finally {
      await sql.end();
    }
  });

  it('is safe when two processes migrate the same database at once', async () => {
    const concurrentName = `${name}_c`;
    const concurrentUrl = databaseUrl(concurrentName);
    try {
      await Promise.all([migrateDatabase(concurrentUrl), migrateDatabase(concurrentUrl)]);
      const sql = postgres(concurrentUrl, { max: 1, onnotice: () => {} });
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
      await sql.end();
      const journal = (await import('../../packages/db/drizzle/meta/_journal.json', { with: { type: 'json' } })).default;
      expect(row?.n).toBe(journal.entries.length); // each migration applied once, not twice
    } finally {
      const admin = postgres(databaseUrl('postgres'), { max: 1, onnotice: () => {} });
      await admin`drop database if exists ${admin(concurrentName)} with (force)`;
      await admin.end();
    }
  });
});
