/**
 * API keys can be taken back, and audit names come from credentials.
 * - `revos tenants create` on an existing tenant issues no second key unless `--new-key` asks.
 * - `revos tenants keys list|create|revoke` and `/admin/api/tenants/:id/keys` list public key ids (never
 *   a key), issue a key shown once, and revoke one: a revoked key gets 401 at once, through real HTTP,
 *   from this producer and from a second one sharing the database (no replica caches a key).
 * - A task action over the API is recorded as `api:<key id>`; the body's free-text `actor` is stored
 *   apart as a label and shown escaped on the operator's task page.
 */
import { hashApiKey, upsertTenant } from '@revos/db';
import { newTaskId } from '@revos/envelope';
import { runCli } from '@revos/producer';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIS_URL, startHarness, TENANT, type Harness } from '../support/harness.js';
import { startTestProducer, type TestProducer } from './helpers.js';

const PASSWORD = 'keys-test-password';
const basic = { authorization: `Basic ${Buffer.from(`keeper:${PASSWORD}`).toString('base64')}` };

let h: Harness;
let p: TestProducer;
/** A second producer app on the same database: another replica. */
let replica: TestProducer;
beforeAll(async () => {
  h = await startHarness({ noWorkers: true });
  p = await startTestProducer(h, { ADMIN_PASSWORD: PASSWORD, ADMIN_USER: 'keeper' });
  replica = await startTestProducer(h);
});
afterAll(async () => {
  await replica?.close();
  await p?.close();
  await h?.close();
});

async function revos(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runCli(args, { out: (t) => out.push(t), err: (t) => err.push(t), env: { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix, MIGRATE_ON_START: 'false', USER: 'dana' } });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** GET /v1/tasks with a key: 200 while it works, 401 once revoked. */
const statusWith = async (url: string, key: string) => (await fetch(`${url}/v1/tasks`, { headers: { authorization: `Bearer ${key}` } })).status;
const keyCount = async (tenant: string) => (await h.db.sql<{ n: number }[]>`select count(*)::int as n from api_keys where tenant_id = ${tenant}`)[0]!.n;

async function admin(method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${p.url}${path}`, {
    method,
    headers: { ...basic, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

describe('revos tenants create and keys', () => {
  it('issues a key for a new tenant, none for an existing one unless --new-key, and says so', async () => {
    const tenant = `t_keys_${ulid().toLowerCase()}`;
    const created = await revos('tenants', 'create', tenant);
    expect(created.code).toBe(0);
    expect(created.stdout).toMatch(/^api key: rvk_\S+$/m);
    expect(created.stdout).toMatch(/^key id: key_[0-9a-f]{32}$/m);

    const again = await revos('tenants', 'create', tenant, '--name', 'Renamed', '--json');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual({ tenant_id: tenant, created: false, api_key: null });
    const told = await revos('tenants', 'create', tenant);
    expect(told.stdout).toContain('no new API key issued');
    expect(await keyCount(tenant)).toBe(1);

    const asked = JSON.parse((await revos('tenants', 'create', tenant, '--new-key', '--json')).stdout) as { api_key: string; key_id: string };
    expect(asked.api_key).toMatch(/^rvk_/);
    expect(await keyCount(tenant)).toBe(2);
    expect((await revos('tenants', 'keys', 'list', tenant, '--new-key')).code).toBe(2); // --new-key is create's alone
  });

  it('lists ids and never a key; a revoked key gets 401 at once here and on another replica, the others keep working', async () => {
    const tenant = `t_keys_${ulid().toLowerCase()}`;
    const first = JSON.parse((await revos('tenants', 'create', tenant, '--json')).stdout) as { api_key: string; key_id: string };
    const second = JSON.parse((await revos('tenants', 'keys', 'create', tenant, '--label', 'billing sync', '--json')).stdout) as { api_key: string; key_id: string };
    for (const url of [p.url, replica.url]) for (const k of [first, second]) expect(await statusWith(url, k.api_key)).toBe(200);

    const listed = await revos('tenants', 'keys', 'list', tenant, '--json');
    const keys = (JSON.parse(listed.stdout) as { keys: { key_id: string; label: string | null; revoked_at: string | null }[] }).keys;
    expect(keys).toEqual([
      expect.objectContaining({ key_id: first.key_id, label: 'revos-cli', revoked_at: null }),
      expect.objectContaining({ key_id: second.key_id, label: 'billing sync', revoked_at: null }),
    ]);
    expect(listed.stdout).not.toContain(first.api_key);
    expect(listed.stdout).not.toContain(hashApiKey(first.api_key));
    const text = await revos('tenants', 'keys', 'list', tenant);
    expect(text.stdout).toMatch(new RegExp(`^${first.key_id}\\s+live\\s+revos-cli`, 'm'));

    const revoked = await revos('tenants', 'keys', 'revoke', tenant, first.key_id);
    expect(revoked).toMatchObject({ code: 0 });
    expect(revoked.stdout).toContain(`api key ${first.key_id} of ${tenant} revoked`);
    expect(await statusWith(p.url, first.api_key)).toBe(401);
    expect(await statusWith(replica.url, first.api_key)).toBe(401);
    expect(await statusWith(replica.url, second.api_key)).toBe(200);
    expect((await revos('tenants', 'keys', 'list', tenant)).stdout).toMatch(new RegExp(`^${first.key_id}\\s+revoked`, 'm'));

    const twice = JSON.parse((await revos('tenants', 'keys', 'revoke', tenant, first.key_id, '--json')).stdout) as { changed: boolean };
    expect(twice.changed).toBe(false);
  });

  it('names what is wrong: an unknown tenant or key exits 1, a malformed key id or label exits 2', async () => {
    const unknownTenant = await revos('tenants', 'keys', 'list', 't_nobody_here');
    expect(unknownTenant.code).toBe(1);
    expect(unknownTenant.stderr).toContain('tenant t_nobody_here is not configured');
    const unknownKey = await revos('tenants', 'keys', 'revoke', TENANT, `key_${'0'.repeat(32)}`);
    expect(unknownKey.code).toBe(1);
    expect(unknownKey.stderr).toContain(`has no key key_${'0'.repeat(32)}`);
    const badId = await revos('tenants', 'keys', 'revoke', TENANT, 'rvk_secret');
    expect(badId.code).toBe(2);
    expect(badId.stderr).toContain('key_ followed by 32 hex digits');
    expect((await revos('tenants', 'keys', 'create', TENANT, '--label', '<b>')).code).toBe(2);
    expect((await revos('tenants', 'keys', 'revoke', TENANT)).stderr).toContain('missing argument <key_id>');
    expect((await revos('tenants', 'keys', 'rotate', TENANT)).stderr).toContain('unknown subcommand "rotate"');
  });
});

describe('/admin/api/tenants/:tenant_id/keys', () => {
  it('lists, creates (shown once) and revokes over HTTP for an operator; the revoked key gets 401 on both replicas', async () => {
    const tenant = `t_keys_${ulid().toLowerCase()}`;
    await upsertTenant(h.db.sql, { tenantId: tenant, name: 'HTTP keys' });
    expect((await fetch(`${p.url}/admin/api/tenants/${tenant}/keys`)).status).toBe(401); // operators only

    const created = await admin('POST', `/admin/api/tenants/${tenant}/keys`, { label: 'front desk app' });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({ key_id: expect.stringMatching(/^key_[0-9a-f]{32}$/), tenant_id: tenant, label: 'front desk app', revoked_at: null, api_key: expect.stringMatching(/^rvk_/) });
    const apiKey = created.json['api_key'] as string;
    const keyId = created.json['key_id'] as string;
    expect(await statusWith(replica.url, apiKey)).toBe(200);

    const listed = await admin('GET', `/admin/api/tenants/${tenant}/keys`);
    expect(listed).toMatchObject({ status: 200, json: { tenant_id: tenant, keys: [{ key_id: keyId, label: 'front desk app', revoked_at: null }] } });
    expect(JSON.stringify(listed.json)).not.toContain(apiKey);

    const revoked = await admin('POST', `/admin/api/tenants/${tenant}/keys/${keyId}/revoke`);
    expect(revoked).toMatchObject({ status: 200, json: { changed: true, key: { key_id: keyId, revoked_at: expect.any(String) } } });
    expect(await statusWith(p.url, apiKey)).toBe(401);
    expect(await statusWith(replica.url, apiKey)).toBe(401);
    expect(await admin('POST', `/admin/api/tenants/${tenant}/keys/${keyId}/revoke`)).toMatchObject({ status: 200, json: { changed: false } });
    expect(p.logText.join('')).toContain('"by":"admin:keeper"');
    expect(p.logText.join('')).not.toContain(apiKey);
  });

  it('answers 400 naming the field, 404 for an unknown tenant or key', async () => {
    expect(await admin('POST', `/admin/api/tenants/${TENANT}/keys`, { label: 'x'.repeat(81) })).toMatchObject({ status: 400, json: { error: 'invalid_body', issues: [{ path: 'label', rule: 'format' }] } });
    expect(await admin('POST', `/admin/api/tenants/${TENANT}/keys`, { lable: 'typo' })).toMatchObject({ status: 400, json: { issues: [{ path: 'lable', rule: 'unknown_key' }] } });
    expect(await admin('POST', `/admin/api/tenants/${TENANT}/keys`, ['x'])).toMatchObject({ status: 400, json: { issues: [{ path: '', rule: 'type:object' }] } });
    expect(await admin('POST', '/admin/api/tenants/t_nobody_here/keys', {})).toMatchObject({ status: 404, json: { error: 'unknown_tenant' } });
    expect(await admin('GET', '/admin/api/tenants/t_nobody_here/keys')).toMatchObject({ status: 404, json: { error: 'unknown_tenant' } });
    expect(await admin('POST', `/admin/api/tenants/${TENANT}/keys/nope/revoke`)).toMatchObject({ status: 400, json: { error: 'invalid_key_id', issues: [{ path: 'key_id' }] } });
    expect(await admin('POST', `/admin/api/tenants/${TENANT}/keys/key_${'f'.repeat(32)}/revoke`)).toMatchObject({ status: 404, json: { error: 'not_found' } });
  });
});

describe('audit names come from credentials', () => {
  it('a task claimed with a script as actor is recorded as api:<key id>, the label stored apart and shown escaped', async () => {
    const tenant = `t_keys_${ulid().toLowerCase()}`;
    await upsertTenant(h.db.sql, { tenantId: tenant, name: 'Audit' });
    const { api_key: apiKey, key_id: keyId } = (await admin('POST', `/admin/api/tenants/${tenant}/keys`, {})).json as { api_key: string; key_id: string };
    const taskId = newTaskId();
    await h.db.sql`
      insert into tasks (task_id, tenant_id, workflow_run_id, root_run_id, idempotency_key, kind, reason)
      values (${taskId}, ${tenant}, 'wr_audit', 'wr_audit', ${`idem:${tenant}:audit`}, 'escalation', 'needs a person')`;

    const label = '<script>x</script>';
    const res = await fetch(`${p.url}/v1/tasks/${taskId}/claim`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ actor: label }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ task: { claimed_by: `api:${keyId}`, claimed_by_label: label } });
    const [row] = await h.db.sql<{ claimed_by: string; claimed_by_label: string }[]>`select claimed_by, claimed_by_label from tasks where task_id = ${taskId}`;
    expect(row).toEqual({ claimed_by: `api:${keyId}`, claimed_by_label: label });
    const [event] = await h.db.sql<{ payload: Record<string, unknown> }[]>`select payload from events where event_type = 'task.claimed' and payload->>'task_id' = ${taskId}`;
    expect(event?.payload).toMatchObject({ actor: `api:${keyId}`, actor_label: label });

    const page = await (await fetch(`${p.url}/admin/tasks?tenant=${tenant}`, { headers: basic })).text();
    expect(page).toContain(`api:${keyId}`);
    expect(page).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(page).not.toContain(label);
    const explorer = await (await fetch(`${p.url}/admin/explorer`, { headers: basic })).text();
    expect(explorer).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(explorer).not.toContain(label);

    // An operator's action is recorded as admin:<user>, with no label.
    const form = new URLSearchParams({ resolution: 'resolved' });
    const done = await fetch(`${p.url}/admin/tasks/${tenant}/${taskId}/resolve`, { method: 'POST', headers: { ...basic, 'content-type': 'application/x-www-form-urlencoded' }, body: form, redirect: 'manual' });
    expect(done.status).toBe(303);
    const [closed] = await h.db.sql<{ resolved_by: string; resolved_by_label: string | null }[]>`select resolved_by, resolved_by_label from tasks where task_id = ${taskId}`;
    expect(closed).toEqual({ resolved_by: 'admin:keeper', resolved_by_label: null });
  });
});
