/**
 * The tenant-facing views read under the tenant scope (withTenant: role revos_tenant, row-level
 * security keyed on the tenant), not merely with a tenant filter:
 * - a login role that owns nothing and holds no table privilege of its own (only membership, without
 *   inheritance, of revos_tenant) reads its tenant's run detail and tree through the views, while a
 *   plain query of it is refused: the views' reads can only have run as revos_tenant;
 * - the API answers 404 for another tenant's run id and its tree, and a run that the row-level
 *   policy hides is 404 for the API although the owner sees it: the API path goes through RLS.
 */
import { createApiKey, createDb, upsertTenant, type Db } from '@revos/db';
import { runDetail, runTree } from '@revos/producer';
import postgres from 'postgres';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import { createTestDatabase, databaseUrl, type TestDatabase } from '../support/pg.js';
import { startTestProducer, type TestProducer } from './helpers.js';

const OTHER = 't_scope_other';

/** A root run with one child, an event and a task, all of `tenant`, inserted as the owner. */
async function seedLineage(sql: postgres.Sql, tenant: string): Promise<{ root: string; child: string }> {
  const root = `wr_${ulid()}`;
  const child = `wr_${ulid()}`;
  for (const [run, parent] of [
    [root, null],
    [child, root],
  ] as const) {
    await sql`
      insert into workflow_runs (workflow_run_id, parent_run_id, root_run_id, correlation_id, tenant_id, workflow_name, workflow_version,
                                 idempotency_key, job_id, lane, trigger_source, trigger_id, privacy_mode, status, envelope)
      values (${run}, ${parent}, ${root}, ${`c_${root}`}, ${tenant}, 'WF11_Log_Event', '1.0.0', ${`idem:${tenant}:WF11_Log_Event:ui:${run}:${'a'.repeat(64)}`},
              ${`job_${run}`}, 'batch', 'ui', ${`ui:${run}`}, 'standard', 'ok', '{}'::jsonb)`;
  }
  await sql`
    insert into events (event_id, workflow_run_id, root_run_id, tenant_id, event_type, direction, payload_ref)
    values (${`ev_${ulid()}`}, ${root}, ${root}, ${tenant}, 'note.added', 'internal', 'ref')`;
  await sql`
    insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, reason)
    values (${`tk_${ulid()}`}, ${tenant}, ${root}, ${root}, ${`idem:${tenant}:${root}`}, 'escalation', 'test')`;
  return { root, child };
}

describe('the run views read under the tenant scope', () => {
  let t: TestDatabase;
  let probe: Db;
  const probeRole = `revos_probe_${ulid().toLowerCase()}`;
  let a: { root: string; child: string };
  let b: { root: string; child: string };

  beforeAll(async () => {
    t = await createTestDatabase();
    await upsertTenant(t.db.sql, { tenantId: TENANT, name: 'Test' });
    await upsertTenant(t.db.sql, { tenantId: OTHER, name: 'Other' });
    a = await seedLineage(t.db.sql, TENANT);
    b = await seedLineage(t.db.sql, OTHER);
    // Roles are cluster-wide: a uniquely named one, dropped after the test database.
    await t.db.sql`create role ${t.db.sql(probeRole)} login noinherit in role revos_tenant`;
    const url = new URL(databaseUrl(t.name));
    url.username = probeRole;
    probe = createDb({ url: url.toString(), max: 2, applicationName: 'revos-test-probe' });
  });
  afterAll(async () => {
    await probe?.close();
    await t?.drop();
    const admin = postgres(databaseUrl('postgres'), { max: 1, onnotice: () => {} });
    await admin`drop role if exists ${admin(probeRole)}`;
    await admin.end();
  });

  it('a role that is not the owner and holds no table privilege is refused outside the scope', async () => {
    await expect(probe.sql`select workflow_run_id from workflow_runs limit 1`).rejects.toMatchObject({ code: '42501' });
    const [who] = await probe.sql`select current_user as who`;
    expect(who?.who).toBe(probeRole);
  });

  it("reads its tenant's run detail and tree through the views (so they run as revos_tenant)", async () => {
    const detail = await runDetail(probe, TENANT, a.root);
    expect(detail?.run).toMatchObject({ workflow_run_id: a.root, tenant_id: TENANT });
    expect(detail?.events).toHaveLength(1);
    expect(detail?.tasks).toHaveLength(1);
    const tree = await runTree(probe, TENANT, a.child);
    expect(tree?.root_run_id).toBe(a.root);
    expect(tree?.runs.map((r) => r.workflow_run_id)).toEqual([a.root, a.child]);
    expect(tree?.tree).toMatchObject({ workflow_run_id: a.root, children: [{ workflow_run_id: a.child, children: [] }] });
  });

  it("finds nothing of another tenant's lineage, by run id or child id", async () => {
    expect(await runDetail(probe, TENANT, b.root)).toBeNull();
    expect(await runDetail(probe, TENANT, b.child)).toBeNull();
    expect(await runTree(probe, TENANT, b.root)).toBeNull();
    expect(await runTree(probe, TENANT, b.child)).toBeNull();
    // The other tenant, through the same views, sees its own.
    expect((await runDetail(probe, OTHER, b.root))?.run.tenant_id).toBe(OTHER);
  });

  it('refuses a tenant id outside the TenantId pattern', async () => {
    await expect(runDetail(probe, "t_x' or true --", a.root)).rejects.toThrow(/invalid tenant id/);
  });
});

describe('the tenant API with row-level security on', () => {
  let h: Harness;
  let p: TestProducer;
  let key: string;
  let otherKey: string;
  let mine: { root: string; child: string };
  let theirs: { root: string; child: string };

  beforeAll(async () => {
    h = await startHarness({ noWorkers: true });
    await upsertTenant(h.db.sql, { tenantId: OTHER, name: 'Other' });
    key = await createApiKey(h.db.sql, TENANT);
    otherKey = await createApiKey(h.db.sql, OTHER);
    mine = await seedLineage(h.db.sql, TENANT);
    theirs = await seedLineage(h.db.sql, OTHER);
    p = await startTestProducer(h);
  });
  afterAll(async () => {
    await p?.close();
    await h?.close();
  });

  async function get(path: string, apiKey: string): Promise<{ status: number; json: any }> {
    const res = await fetch(`${p.url}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
    return { status: res.status, json: await res.json() };
  }

  it("answers 404 for another tenant's run id and for its tree, 200 for its own", async () => {
    expect((await get(`/v1/runs/${mine.root}`, key)).status).toBe(200);
    expect((await get(`/v1/runs/${mine.child}/tree`, key)).json.runs).toHaveLength(2);
    for (const id of [theirs.root, theirs.child]) {
      expect(await get(`/v1/runs/${id}`, key)).toEqual({ status: 404, json: { error: 'not_found' } });
      expect(await get(`/v1/runs/${id}/tree`, key)).toEqual({ status: 404, json: { error: 'not_found' } });
    }
    expect((await get(`/v1/runs/${theirs.root}`, otherKey)).json.run.tenant_id).toBe(OTHER);
    expect(await get(`/v1/runs/${mine.root}`, otherKey)).toEqual({ status: 404, json: { error: 'not_found' } });
  });

  it('reads through the row-level policy: a run the policy hides is 404 although the owner sees it', async () => {
    // This test database only: a restrictive policy that hides one run of the tenant from revos_tenant.
    // The owner bypasses every policy; a read that answers 404 here went through RLS.
    const hidden = await seedLineage(h.db.sql, TENANT);
    await h.db.sql`
      create policy hide_one on workflow_runs as restrictive for select to revos_tenant
      using (workflow_run_id <> ${h.db.sql.unsafe(`'${hidden.root}'`)})`;
    try {
      const [owner] = await h.db.sql`select tenant_id from workflow_runs where workflow_run_id = ${hidden.root}`;
      expect(owner?.tenant_id).toBe(TENANT);
      expect(await get(`/v1/runs/${hidden.root}`, key)).toEqual({ status: 404, json: { error: 'not_found' } });
      expect(await get(`/v1/runs/${hidden.root}/tree`, key)).toEqual({ status: 404, json: { error: 'not_found' } });
      expect((await get(`/v1/runs/${mine.root}`, key)).status).toBe(200);
    } finally {
      await h.db.sql`drop policy hide_one on workflow_runs`;
    }
  });
});
