/**
 * Migration 0016 (hash indexes for the equality-only ids, indexes for the any-id search, the failure-rate alert,
 * the export and the open tasks) on a large history:
 * operations.md tells the operator to build the indexes beforehand with CREATE/DROP INDEX CONCURRENTLY, so that
 * writes are never blocked, and then migrate. This runs the statements exactly as the runbook prints them,
 * on a database as 0015 left it, then runs the migration's SQL: it must find its work done.
 */
import { readFileSync } from 'node:fs';
import { migrateDatabase } from '@revos/db';
import postgres from 'postgres';
import { ulid } from 'ulid';
import { afterAll, describe, expect, it } from 'vitest';
import { databaseUrl } from '../support/pg.js';

const name = `revos_t_mig16_${ulid().toLowerCase()}`;
const url = databaseUrl(name);

afterAll(async () => {
  const admin = postgres(databaseUrl('postgres'), { max: 1, onnotice: () => {} });
  await admin`drop database if exists ${admin(name)} with (force)`;
  await admin.end();
});

/** The runbook's SQL block under "Migration 0016 on a large history", one statement a line. */
function runbookStatements(): string[] {
  const doc = readFileSync(new URL('../../docs/operations.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('### Migration 0016 on a large history'));
  const block = /```sql\n([\s\S]*?)```/.exec(section)![1]!;
  return block.split('\n').filter((line) => line.trim() !== '');
}

function migration0016(): string[] {
  const file = readFileSync(new URL('../../packages/db/drizzle/0016_run_lookup_indexes.sql', import.meta.url), 'utf8');
  return file.split('--> statement-breakpoint').map((s) => s.trim()).filter((s) => s !== '');
}

/** The indexes 0016 creates or drops, as they are now: name and method. */
async function idIndexes(sql: postgres.Sql): Promise<string[]> {
  const names = [...AFTER_0016.map((i) => i.split(' ')[0]!), ...BEFORE_0016];
  const rows = await sql<{ i: string }[]>`
    select indexname || ' ' || split_part(split_part(indexdef, ' USING ', 2), ' ', 1) as i from pg_indexes
     where indexname in ${sql(names)} order by indexname`;
  return rows.map((r) => r.i);
}

const BEFORE_0016 = ['workflow_runs_root_idx', 'workflow_runs_parent_idx', 'workflow_runs_key_idx', 'events_run_idx', 'events_root_idx'];

const AFTER_0016 = [
  'events_root_hash_idx hash',
  'events_run_hash_idx hash',
  'tasks_open_idx btree',
  'workflow_runs_correlation_hash_idx hash',
  'workflow_runs_key_hash_idx hash',
  'workflow_runs_parent_hash_idx hash',
  'workflow_runs_root_hash_idx hash',
  'workflow_runs_tenant_ended_idx btree',
  'workflow_runs_trigger_hash_idx hash',
];

describe('migration 0016 after the runbook built its indexes concurrently', () => {
  it('finds them built and does nothing more, leaving the indexes a plain migration leaves', async () => {
    await migrateDatabase(url);
    const sql = postgres(url, { max: 1, onnotice: () => {} });
    try {
      expect(await idIndexes(sql)).toEqual(AFTER_0016);

      // Back to what 0015 left for these ids: the btree indexes.
      await sql.unsafe(`
        drop index workflow_runs_root_hash_idx, workflow_runs_parent_hash_idx, workflow_runs_key_hash_idx, workflow_runs_correlation_hash_idx,
                   workflow_runs_trigger_hash_idx, workflow_runs_tenant_ended_idx, tasks_open_idx, events_run_hash_idx, events_root_hash_idx;
        create index workflow_runs_root_idx on workflow_runs using btree (root_run_id);
        create index workflow_runs_parent_idx on workflow_runs using btree (parent_run_id);
        create index workflow_runs_key_idx on workflow_runs using btree (idempotency_key);
        create index events_run_idx on events using btree (workflow_run_id);
        create index events_root_idx on events using btree (root_run_id);`);

      // The runbook, line by line (CONCURRENTLY cannot run inside a transaction block).
      const statements = runbookStatements();
      expect(statements.length).toBe(14);
      for (const statement of statements) await sql.unsafe(statement);
      expect(await idIndexes(sql)).toEqual(AFTER_0016);

      // Then the migration itself, in one transaction as the migrator runs it: nothing left to do, no error.
      await sql.begin(async (tx) => {
        for (const statement of migration0016()) await tx.unsafe(statement);
      });
      expect(await idIndexes(sql)).toEqual(AFTER_0016);
    } finally {
      await sql.end();
    }
  });
});
