/**
 * Tenant isolation by row-level security (migration 0003_tenant_rls, withTenant): inside a tenant's
 * scope a query with no tenant filter at all sees that tenant's rows only, and writing another
 * tenant's row is refused; outside the scope (the fleet's role, the tables' owner) every row is there.
 */
import { createApiKey, InvalidTenantIdError, TENANT_ROLE, withTenant } from '@revos/db';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/pg.js';

const A = 't_rls_alpha';
const B = 't_rls_beta';

/** Every tenant-owned table. */
const TENANT_TABLES = [
  'tenants',
  'api_keys',
  'consents',
  'workflow_runs',
  'idempotency_keys',
  'effects',
  'events',
  'accepted_runs',
  'outbox',
  'tasks',
  'alerts',
  'address_consents',
  'subject_contacts',
  'appointment_prompts',
  'voice_call_turns',
] as const;

let t: TestDatabase;
/** Rows per tenant per table, as the owner inserted them. */
const seeded: Record<string, Record<string, number>> = {};

async function seedTenant(sql: postgres.Sql, tenant: string): Promise<void> {
  const run = `wr_${tenant}`;
  const key = `idem:${tenant}:WF11_Log_Event:ui:1:${'a'.repeat(64)}`;
  await sql`insert into tenants (tenant_id, name) values (${tenant}, ${tenant})`;
  await createApiKey(sql, tenant, 'rls-test');
  await sql`insert into consents (tenant_id, subject_id, channel, status) values (${tenant}, 'p_1', 'sms', 'allow'), (${tenant}, 'p_2', 'sms', 'deny')`;
  await sql`
    insert into workflow_runs (workflow_run_id, root_run_id, correlation_id, tenant_id, workflow_name, workflow_version, idempotency_key,
                               job_id, lane, trigger_source, trigger_id, privacy_mode, status, envelope)
    values (${run}, ${run}, ${`c_${tenant}`}, ${tenant}, 'WF11_Log_Event', '1.0.0', ${key}, ${`job_${tenant}`}, 'batch', 'ui', 'ui:1', 'standard', 'ok', '{}'::jsonb)`;
  await sql`
    insert into idempotency_keys (idempotency_key, tenant_id, workflow_name, payload_hash, workflow_run_id, state)
    values (${key}, ${tenant}, 'WF11_Log_Event', ${'a'.repeat(64)}, ${run}, 'completed')`;
  await sql`
    insert into effects (idempotency_key, effect_name, tenant_id, workflow_run_id, state, service, endpoint)
    values (${key}, 'send_sms', ${tenant}, ${run}, 'completed', 'sms', 'messages.create')`;
  await sql`
    insert into events (event_id, workflow_run_id, root_run_id, tenant_id, event_type, direction, payload_ref)
    values (${`ev_${tenant}_1`}, ${run}, ${run}, ${tenant}, 'note.added', 'internal', 'ref'),
           (${`ev_${tenant}_2`}, ${run}, ${run}, ${tenant}, 'sms.sent', 'outbound', 'ref')`;
  await sql`
    insert into accepted_runs (idempotency_key, workflow_run_id, tenant_id, workflow_name, job_id, lane, source)
    values (${key}, ${run}, ${tenant}, 'WF11_Log_Event', ${`job_${tenant}`}, 'batch', 'api')`;
  await sql`
    insert into outbox (outbox_id, tenant_id, parent_run_id, root_run_id, correlation_id, parent_idempotency_key, action_index, workflow, payload, priority)
    values (${`ob_${tenant}`}, ${tenant}, ${run}, ${run}, ${`c_${tenant}`}, ${key}, 0, 'WF21_Escalate', '{}'::jsonb, 'normal')`;
  await sql`
    insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, reason)
    values (${`tk_${tenant}`}, ${tenant}, ${run}, ${run}, ${key}, 'escalation', 'test')`;
  await sql`
    insert into alerts (alert_id, tenant_id, kind, dedupe_key) values (${`al_${tenant}`}, ${tenant}, 'latency', ${`latency:${tenant}`})`;
  await sql`insert into address_consents (tenant_id, address, channel, status) values (${tenant}, '+15550001111', 'sms', 'deny')`;
  await sql`insert into subject_contacts (tenant_id, address_ref, subject_kind, subject_id) values (${tenant}, 'tok_phone_000000000000000000000001', 'patient_id', 'p_1')`;
  await sql`
    insert into appointment_prompts (tenant_id, appointment_id, address_ref, patient_id, workflow_run_id)
    values (${tenant}, 'apt_1', 'tok_phone_000000000000000000000001', 'p_1', ${run})`;
  await sql`
    insert into voice_call_turns (tenant_id, call_sid, turn, workflow_run_id, intent) values (${tenant}, ${`CA_${tenant}`}, 1, ${run}, 'book')`;
}

beforeAll(async () => {
  t = await createTestDatabase();
  await seedTenant(t.db.sql, A);
  await seedTenant(t.db.sql, B);
  // A system alert: no tenant, visible to no tenant.
  await t.db.sql`insert into alerts (alert_id, tenant_id, kind, dedupe_key) values ('al_system', null, 'outbox_lag', 'outbox_lag:1')`;
  for (const table of TENANT_TABLES) {
    const rows = await t.db.sql<{ tenant_id: string | null; n: number }[]>`
      select tenant_id, count(*)::int as n from ${t.db.sql(table)} group by tenant_id`;
    seeded[table] = Object.fromEntries(rows.map((r) => [String(r.tenant_id), r.n]));
  }
});
afterAll(async () => {
  await t?.drop();
});

describe('row-level security on tenant-owned tables', () => {
  it('is enabled (not forced) with a tenant_isolation policy on every table that has a tenant_id column', async () => {
    const withTenantColumn = await t.db.sql<{ table_name: string }[]>`
      select table_name from information_schema.columns
       where table_schema = 'public' and column_name = 'tenant_id' order by table_name`;
    expect(withTenantColumn.map((r) => r.table_name)).toEqual([...TENANT_TABLES].sort());
    const rls = await t.db.sql<{ relname: string; relrowsecurity: boolean; relforcerowsecurity: boolean; policies: string[] }[]>`
      select c.relname, c.relrowsecurity, c.relforcerowsecurity,
             array(select p.policyname::text from pg_policies p where p.schemaname = 'public' and p.tablename = c.relname) as policies
        from pg_class c join pg_namespace n on n.oid = c.relnamespace
       where n.nspname = 'public' and c.relname in ${t.db.sql([...TENANT_TABLES])}
       order by c.relname`;
    expect(rls).toEqual(
      [...TENANT_TABLES].sort().map((relname) => ({ relname, relrowsecurity: true, relforcerowsecurity: false, policies: ['tenant_isolation'] })),
    );
  });

  it('seeded both tenants in every table', () => {
    for (const table of TENANT_TABLES) {
      expect(seeded[table]?.[A], table).toBeGreaterThan(0);
      expect(seeded[table]?.[B], table).toBe(seeded[table]?.[A]);
    }
  });

  it("inside withTenant(A), a select with no where clause returns A's rows only, in every table", async () => {
    for (const table of TENANT_TABLES) {
      const rows = await withTenant(t.db.sql, A, (tx) => tx<{ tenant_id: string | null }[]>`select * from ${tx(table)}`);
      expect(rows.length, table).toBe(seeded[table]![A]);
      expect(new Set(rows.map((r) => r.tenant_id)), table).toEqual(new Set([A]));
    }
    // And the mirror image.
    for (const table of TENANT_TABLES) {
      const rows = await withTenant(t.db.sql, B, (tx) => tx<{ tenant_id: string | null }[]>`select tenant_id from ${tx(table)}`);
      expect(rows.map((r) => r.tenant_id), table).toEqual(Array(seeded[table]![B]).fill(B));
    }
  });

  it("inside withTenant(A), B's rows cannot be found even by their ids", async () => {
    const found = await withTenant(t.db.sql, A, async (tx) => ({
      run: await tx`select 1 from workflow_runs where workflow_run_id = ${`wr_${B}`}`,
      task: await tx`select 1 from tasks where task_id = ${`tk_${B}`}`,
      outbox: await tx`select 1 from outbox where outbox_id = ${`ob_${B}`}`,
      events: await tx`select 1 from events where workflow_run_id = ${`wr_${B}`}`,
    }));
    expect(found).toEqual({ run: [], task: [], outbox: [], events: [] });
  });

  it("outside the scope (the owner's role) every tenant's rows are visible", async () => {
    for (const table of TENANT_TABLES) {
      const [row] = await t.db.sql<{ a: number; b: number }[]>`
        select count(*) filter (where tenant_id = ${A})::int as a, count(*) filter (where tenant_id = ${B})::int as b from ${t.db.sql(table)}`;
      expect(row, table).toEqual({ a: seeded[table]![A], b: seeded[table]![B] });
    }
    const [system] = await t.db.sql`select count(*)::int as n from alerts where tenant_id is null`;
    expect(system?.n).toBe(1);
  });

  it('refuses inserting a row for tenant B inside withTenant(A) (with check), and admits one for A', async () => {
    const refused = { code: '42501' }; // insufficient_privilege: new row violates row-level security policy
    await expect(
      withTenant(t.db.sql, A, (tx) => tx`insert into consents (tenant_id, subject_id, channel, status) values (${B}, 'p_x', 'sms', 'allow')`),
    ).rejects.toMatchObject(refused);
    await expect(
      withTenant(
        t.db.sql,
        A,
        (tx) => tx`
          insert into events (event_id, workflow_run_id, root_run_id, tenant_id, event_type, direction, payload_ref)
          values ('ev_sneaky', ${`wr_${B}`}, ${`wr_${B}`}, ${B}, 'note.added', 'internal', 'ref')`,
      ),
    ).rejects.toMatchObject(refused);
    await expect(
      withTenant(t.db.sql, A, (tx) => tx`insert into alerts (alert_id, tenant_id, kind, dedupe_key) values ('al_sneaky', null, 'x', 'x:1')`),
    ).rejects.toMatchObject(refused);
    const [none] = await t.db.sql`select count(*)::int as n from consents where subject_id = 'p_x'`;
    expect(none?.n).toBe(0);

    await withTenant(t.db.sql, A, (tx) => tx`insert into consents (tenant_id, subject_id, channel, status) values (${A}, 'p_own', 'sms', 'allow')`);
    const [own] = await t.db.sql`select tenant_id from consents where subject_id = 'p_own'`;
    expect(own?.tenant_id).toBe(A);
    await t.db.sql`delete from consents where subject_id = 'p_own'`;
  });

  it("refuses moving A's rows to tenant B, in every table", async () => {
    for (const table of TENANT_TABLES) {
      await expect(
        withTenant(t.db.sql, A, (tx) => tx`update ${tx(table)} set tenant_id = ${B}`),
        table,
      ).rejects.toMatchObject({ code: '42501' });
    }
  });

  it("cannot update or delete B's rows from inside withTenant(A): they are not there to touch", async () => {
    const changed = await withTenant(t.db.sql, A, async (tx) => ({
      updated: (await tx`update workflow_runs set status = 'failed' where workflow_run_id = ${`wr_${B}`}`).count,
      deleted: (await tx`delete from tasks where tenant_id = ${B}`).count,
    }));
    expect(changed).toEqual({ updated: 0, deleted: 0 });
    const [run] = await t.db.sql`select status from workflow_runs where workflow_run_id = ${`wr_${B}`}`;
    expect(run?.status).toBe('ok');
  });

  it('runs as revos_tenant with the tenant setting, and hands the connection back unscoped (after an error too)', async () => {
    const one = postgres(t.url, { max: 1, onnotice: () => {} }); // one connection: the same one every time
    try {
      const [outside] = await one<{ who: string; superuser: string }[]>`select current_user as who, current_setting('is_superuser') as superuser`;
      const inside = await withTenant(one, A, async (tx) => {
        const [row] = await tx<{ who: string; tenant: string }[]>`select current_user as who, current_setting('revos.tenant_id', true) as tenant`;
        return row;
      });
      expect(inside).toEqual({ who: TENANT_ROLE, tenant: A });
      await expect(
        withTenant(one, B, async (tx) => {
          await tx`select 1`;
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      const [after] = await one<{ who: string; tenant: string | null }[]>`select current_user as who, current_setting('revos.tenant_id', true) as tenant`;
      expect(after?.who).toBe(outside?.who);
      expect(after?.tenant ?? '').toBe('');
      // Back as the owner, the same connection sees both tenants again.
      const [both] = await one`select count(distinct tenant_id)::int as n from workflow_runs`;
      expect(both?.n).toBe(2);
    } finally {
      await one.end();
    }
  });

  it('as revos_tenant with no tenant set, sees nothing at all', async () => {
    const counts = await t.db.sql.begin(async (tx) => {
      await tx`set local role revos_tenant`;
      const out: Record<string, number> = {};
      for (const table of TENANT_TABLES) {
        const [row] = await tx<{ n: number }[]>`select count(*)::int as n from ${tx(table)}`;
        out[table] = row!.n;
      }
      return out;
    });
    expect(counts).toEqual(Object.fromEntries(TENANT_TABLES.map((table) => [table, 0])));
  });

  it('refuses a tenant id that does not match the TenantId pattern before sending any SQL', async () => {
    const begin = vi.spyOn(t.db.sql, 'begin');
    try {
      for (const bad of ['', 'acme', 'T_acme', "t_a' or '1'='1", 't_a;reset role', `t_${'x'.repeat(61)}`, ' t_acme']) {
        await expect(withTenant(t.db.sql, bad, async () => 'ran'), JSON.stringify(bad)).rejects.toBeInstanceOf(InvalidTenantIdError);
      }
      await expect(withTenant(t.db.sql, undefined as unknown as string, async () => 'ran')).rejects.toBeInstanceOf(InvalidTenantIdError);
      expect(begin).not.toHaveBeenCalled();
      // The spy does see a valid scope open its transaction.
      await withTenant(t.db.sql, A, async () => 'ran');
      expect(begin).toHaveBeenCalledTimes(1);
    } finally {
      begin.mockRestore();
    }
  });
});
