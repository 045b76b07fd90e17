/**
 * The fleet behind PgBouncer in transaction mode (issue #28, item 1): a PgBouncer the test starts
 * (test/support/pgbouncer.ts) pools the test server, and every connection of the harness (intake,
 * workers, tenant cache, assertions) goes through it with DATABASE_POOLER=transaction (postgres.js
 * without prepared statements). Each transaction may land on any server connection, so whatever is
 * session-scoped is checked here: the tenant scope (set_config(..., true) and the role), the claim's
 * `synchronous_commit = off`, and the migrations' advisory lock.
 */
import { createDb, migrateDatabase, MIGRATIONS_FOLDER, withTenant } from '@revos/db';
import { submitRun } from '@revos/runtime';
import { readdirSync } from 'node:fs';
import postgres from 'postgres';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, startHarness, type Harness } from '../support/harness.js';
import { createTestDatabase, PG_BASE_URL, type TestDatabase } from '../support/pg.js';
import { startPgBouncer, type PrivatePgBouncer } from '../support/pgbouncer.js';

let bouncer: PrivatePgBouncer;
let h: Harness;

/** A test database whose pool reaches it through the pooler only. */
async function pooledDatabase(): Promise<TestDatabase> {
  const direct = await createTestDatabase();
  await direct.db.close();
  const url = bouncer.databaseUrl(direct.name);
  const db = createDb({ url, pooler: 'transaction', max: 10, applicationName: 'revos-test-pooled' });
  return {
    name: direct.name,
    url,
    db,
    async drop() {
      await db.close();
      await direct.drop();
    },
  };
}

beforeAll(async () => {
  const server = new URL(PG_BASE_URL);
  // Fewer server connections than the pools have clients: transactions of different clients share them.
  bouncer = await startPgBouncer({ serverHost: server.hostname, serverPort: Number(server.port || 5432), poolMode: 'transaction', poolSize: 3 });
  h = await startHarness({ createDatabase: pooledDatabase, immediateDispatch: true });
  await allowSms(h.db, 'p_pooled');
});
afterAll(async () => {
  await h?.close();
  await bouncer?.stop();
});

describe('behind PgBouncer in transaction mode (DATABASE_POOLER=transaction)', () => {
  it('runs submissions end to end: each accepted run finishes once, one text and one event each, a duplicate is answered as one', async () => {
    const envelopes = Array.from({ length: 40 }, (_, i) =>
      h.envelope({ workflow: 'WF30_Send_SMS', payload: { to: '+15551230001', body: `pooled ${i}` }, subject: { patient_id: 'p_pooled' } }),
    );
    const answers = await Promise.all(envelopes.map((e) => submitRun({ db: h.db, queues: h.queues, catalog: h.catalog, privacy: h.privacy }, e, { source: 'api' })));
    expect(answers.map((a) => a.status)).toEqual(envelopes.map(() => 'queued'));
    const again = await submitRun({ db: h.db, queues: h.queues, catalog: h.catalog, privacy: h.privacy }, envelopes[0]!, { source: 'api' });
    expect(again.status).toBe('duplicate');

    const rows = await Promise.all(envelopes.map((e) => h.waitForRun(e.meta.workflow_run_id, undefined, 60_000)));
    expect(rows.map((r) => r.status)).toEqual(envelopes.map(() => 'ok'));
    expect(h.vendor.countFor('sms')).toBe(envelopes.length);
    const [events] = await h.db.sql<{ n: number; keys: number }[]>`
      select count(*)::int as n, count(distinct idempotency_key)::int as keys from events where event_type = 'sms.sent'`;
    expect(events).toEqual({ n: envelopes.length, keys: envelopes.length });
    // No statement failed on a missing prepared statement (the symptom without the setting).
    expect(h.logLines.filter((l) => JSON.stringify(l).includes('prepared statement'))).toEqual([]);
  });

  it("leaves no claim's synchronous_commit = off on the pooled server connections (it is transaction-local)", async () => {
    // Many samples over few server connections: every one of them is seen several times.
    const seen = await Promise.all(Array.from({ length: 30 }, () => h.db.sql<{ v: string }[]>`select current_setting('synchronous_commit') as v`));
    expect(new Set(seen.map(([r]) => r?.v))).toEqual(new Set(['on']));
  });

  it('scopes each tenant transaction to its tenant, concurrently, and hands server connections back unscoped (after an error too)', async () => {
    const tenants = ['t_pool_alpha', 't_pool_beta'];
    for (const t of tenants) {
      await h.db.sql`insert into tenants (tenant_id, name) values (${t}, ${t}) on conflict do nothing`;
      await h.db.sql`insert into consents (tenant_id, subject_id, channel, status) values (${t}, ${`p_${t}`}, 'sms', 'allow') on conflict do nothing`;
    }
    const scoped = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const tenant = tenants[i % 2]!;
        return withTenant(h.db.sql, tenant, async (tx) => {
          const rows = await tx<{ tenant_id: string }[]>`select tenant_id from consents`;
          const [who] = await tx<{ role: string; setting: string }[]>`select current_user as role, current_setting('revos.tenant_id', true) as setting`;
          return { tenant, seen: [...new Set(rows.map((r) => r.tenant_id))], role: who?.role, setting: who?.setting };
        });
      }),
    );
    for (const s of scoped) expect(s).toEqual({ tenant: s.tenant, seen: [s.tenant], role: 'revos_tenant', setting: s.tenant });

    await expect(withTenant(h.db.sql, tenants[0]!, (tx) => tx`select 1/0`)).rejects.toMatchObject({ code: '22012' });
    const outside = await Promise.all(
      Array.from({ length: 30 }, () => h.db.sql<{ role: string; setting: string | null }[]>`select current_user as role, current_setting('revos.tenant_id', true) as setting`),
    );
    for (const [row] of outside) {
      expect(row?.role).toBe('postgres');
      expect(row?.setting ?? '').toBe('');
    }
  });

  it('migrates through the pooler, concurrently, and leaves no advisory lock held', async () => {
    const name = `revos_t_${ulid().toLowerCase()}_pooled_mig`;
    const url = bouncer.databaseUrl(name);
    const admin = postgres(`${PG_BASE_URL}/postgres`, { max: 1, onnotice: () => {} });
    try {
      await Promise.all([migrateDatabase(url), migrateDatabase(url), migrateDatabase(url)]);
      const check = postgres(url, { max: 1, prepare: false, onnotice: () => {} });
      try {
        const [applied] = await check<{ n: number }[]>`select count(*)::int as n from drizzle.__drizzle_migrations`;
        expect(applied?.n).toBe(readdirSync(MIGRATIONS_FOLDER).filter((f) => f.endsWith('.sql')).length);
      } finally {
        await check.end({ timeout: 1 });
      }
      // This database's lock only: other test files migrate their own databases meanwhile, under the same lock id.
      const locks = await admin<{ n: number }[]>`
        select count(*)::int as n from pg_locks
         where locktype = 'advisory' and objid = ${0x7265766f} and database = (select oid from pg_database where datname = ${name})`;
      expect(locks[0]?.n).toBe(0);
    } finally {
      await admin`drop database if exists ${admin(name)} with (force)`;
      await admin.end({ timeout: 1 });
    }
  });
});
