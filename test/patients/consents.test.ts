import { createApiKey, upsertTenant } from '@revos/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TENANT, type Harness } from '../support/harness.js';
import type { TestProducer } from '../producer/helpers.js';
import { newMessageSid, revos, startPatientsProducer, textIn, textOut } from './helpers.js';

/** The consent API and CLI: idempotent, every change an event, tenant-scoped, clear errors. */
const OTHER_TENANT = 't_other_practice';
let h: Harness;
let p: TestProducer;
let key: string;
let otherKey: string;
beforeAll(async () => {
  h = await startHarness();
  p = await startPatientsProducer(h);
  await upsertTenant(h.db.sql, { tenantId: OTHER_TENANT, name: 'Other' });
  key = await createApiKey(h.db.sql, TENANT);
  otherKey = await createApiKey(h.db.sql, OTHER_TENANT);
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

function api(method: 'PUT' | 'GET', path: string, body?: unknown, k = key): Promise<Response> {
  return fetch(`${p.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${k}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
}

const consentEvents = async (tenant = TENANT) =>
  h.db.sql<{ event_type: string; payload: Record<string, unknown>; subject: Record<string, unknown>; workflow_run_id: string | null }[]>`
    select event_type, payload, subject, workflow_run_id from events where tenant_id = ${tenant} and event_type like 'consent.%' order by occurred_at, event_id`;

describe('PUT /v1/consents', () => {
  it('records a subject consent once: a repeated PUT changes nothing and writes no second event', async () => {
    const body = { subject: { patient_id: 'p_eve' }, channel: 'sms', status: 'allow', source: 'intake_form', evidence_ref: 'form_881' };
    const first = await api('PUT', '/v1/consents', body);
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({ changed: true, subject: { id: 'p_eve', channel: 'sms', status: 'allow', previous: null, changed: true } });
    const second = await api('PUT', '/v1/consents', body);
    expect(await second.json()).toMatchObject({ changed: false, subject: { previous: 'allow', changed: false, event_id: null } });
    const events = await consentEvents();
    expect(events).toEqual([
      {
        event_type: 'consent.subject_changed',
        workflow_run_id: null,
        subject: { patient_id: 'p_eve' },
        payload: { target: 'subject', subject_id: 'p_eve', channel: 'sms', status: 'allow', source: 'intake_form', evidence_ref: 'form_881', actor: 'api' },
      },
    ]);
    // The gate honours it at once.
    expect((await textOut(h, { to: '+15556660001', patientId: 'p_eve' })).status).toBe('ok');
  });

  it('opts an address out for every subject; GET by address shows it; the event names the number by token', async () => {
    const res = await api('PUT', '/v1/consents', { address: '+15556660001', channel: 'sms', status: 'deny', source: 'front_desk' });
    expect(await res.json()).toMatchObject({ changed: true, address: { id: '+15556660001', status: 'deny', previous: null } });
    const shown = await api('GET', '/v1/consents?address=%2B15556660001');
    expect(await shown.json()).toMatchObject({ consents: [{ target: 'address', id: '+15556660001', channel: 'sms', status: 'deny', source: 'front_desk', updated_by: 'api' }] });
    // An unencoded + arrives as a space: still understood.
    expect(((await (await api('GET', '/v1/consents?address=+15556660001')).json()) as { consents: unknown[] }).consents).toHaveLength(1);
    const events = await consentEvents();
    expect(events.at(-1)?.payload).toMatchObject({ target: 'address', status: 'deny', address_ref: expect.stringMatching(/^tok_phone_/) });
    expect(JSON.stringify(events)).not.toContain('6660001');
    expect((await textOut(h, { to: '+15556660001', patientId: 'p_eve' })).status).toBe('blocked');
  });

  it('with a subject and an address, sets both and attributes later texts from that number to the subject', async () => {
    const res = await api('PUT', '/v1/consents', { subject: { patient_id: 'p_fay' }, address: '+15556660002', channel: 'sms', status: 'allow', source: 'portal' });
    expect(await res.json()).toMatchObject({ changed: true, subject: { id: 'p_fay', changed: true }, address: { id: '+15556660002', changed: true } });
    const run = await textIn(h, p, { tenant: TENANT, sid: newMessageSid(), from: '+15556660002', body: 'what time is it at?' });
    const [stored] = await h.db.sql<{ subject: Record<string, string> }[]>`select envelope->'subject' as subject from workflow_runs where workflow_run_id = ${run.workflow_run_id}`;
    expect(stored?.subject).toEqual({ patient_id: 'p_fay' });
  });

  it('GET by subject lists every channel of that subject', async () => {
    await api('PUT', '/v1/consents', { subject: { patient_id: 'p_eve' }, channel: 'voice', status: 'deny', source: 'phone_call' });
    const body = (await (await api('GET', '/v1/consents?subject=p_eve')).json()) as { consents: { channel: string; status: string }[] };
    expect(body.consents.map((c) => [c.channel, c.status])).toEqual([['sms', 'allow'], ['voice', 'deny']]);
  });

  it('answers 400 naming each bad field and the rule', async () => {
    const cases: [unknown, string[]][] = [
      [{ channel: 'sms', status: 'allow', source: 'x' }, ['subject']],
      [{ address: '555-1234', channel: 'sms', status: 'allow', source: 'x' }, ['address']],
      [{ subject: { patient_id: 'p_1' }, channel: 'fax', status: 'maybe', source: '' }, ['channel', 'status', 'source']],
      [{ subject: { patient_id: 'p_1', lead_id: 'l_1' }, channel: 'sms', status: 'allow', source: 'x' }, ['subject']],
      [{ subject: { patient_id: 'p_1' }, channel: 'sms', status: 'allow', source: 'x', extra: 1 }, ['extra']],
    ];
    for (const [body, paths] of cases) {
      const res = await api('PUT', '/v1/consents', body);
      expect(res.status).toBe(400);
      const answer = (await res.json()) as { error: string; issues: { path: string; rule: string; message: string }[] };
      expect(answer.error).toBe('invalid_consent');
      expect(answer.issues.map((i) => i.path.split('.')[0])).toEqual(expect.arrayContaining(paths));
      for (const i of answer.issues) expect(i.rule).not.toBe('');
    }
    expect((await api('PUT', '/v1/consents', '{not json')).status).toBe(400);
    const bad = await api('GET', '/v1/consents?subject=p_eve&address=%2B15556660001');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: 'invalid_query', issues: [{ path: 'subject', rule: 'exactly_one' }] });
    expect((await api('GET', '/v1/consents?address=12')).status).toBe(400);
  });

  it("another tenant neither sees nor changes this tenant's consents", async () => {
    const other = await api('GET', '/v1/consents?subject=p_eve', undefined, otherKey);
    expect(await other.json()).toEqual({ consents: [] });
    await api('PUT', '/v1/consents', { subject: { patient_id: 'p_eve' }, channel: 'sms', status: 'deny', source: 'x' }, otherKey);
    const mine = (await (await api('GET', '/v1/consents?subject=p_eve')).json()) as { consents: { channel: string; status: string }[] };
    expect(mine.consents.find((c) => c.channel === 'sms')?.status).toBe('allow');
    expect((await fetch(`${p.url}/v1/consents?subject=p_eve`)).status).toBe(401);
  });
});

describe('revos consents set|show', () => {
  it('sets, is idempotent, shows, and records the operator as the actor', async () => {
    const set = await revos(h, 'consents', 'set', '--tenant', TENANT, '--subject', 'p_gil', '--channel', 'sms', '--status', 'allow', '--source', 'paper_form', '--evidence', 'scan_12');
    expect(set).toMatchObject({ code: 0, stdout: 'p_gil sms allow (was unset)\n' });
    const again = await revos(h, 'consents', 'set', '--tenant', TENANT, '--subject', 'p_gil', '--channel', 'sms', '--status', 'allow', '--source', 'paper_form');
    expect(again.stdout).toBe('p_gil sms allow (unchanged)\n');
    const show = await revos(h, 'consents', 'show', '--tenant', TENANT, '--subject', 'p_gil', '--json');
    expect(show.code).toBe(0);
    expect(JSON.parse(show.stdout)).toMatchObject({ consents: [{ id: 'p_gil', channel: 'sms', status: 'allow', source: 'paper_form', evidence_ref: 'scan_12', updated_by: 'cli:dana' }] });
    const events = (await consentEvents()).filter((e) => e.payload['subject_id'] === 'p_gil');
    expect(events).toHaveLength(1);
    expect(events[0]?.payload['actor']).toBe('cli:dana');
  });

  it('opts a number out from the command line', async () => {
    const set = await revos(h, 'consents', 'set', '--tenant', TENANT, '--address', '+15556660003', '--channel', 'sms', '--status', 'deny', '--source', 'phone_call', '--operator', 'lee');
    expect(set.code).toBe(0);
    const show = await revos(h, 'consents', 'show', '--tenant', TENANT, '--address', '+15556660003');
    expect(show.stdout).toMatch(/address\s+\+15556660003\s+sms\s+deny\s+phone_call\s+cli:lee/);
  });

  it('exits 2 naming the bad option and the rule', async () => {
    const noChannel = await revos(h, 'consents', 'set', '--tenant', TENANT, '--subject', 'p_gil', '--status', 'allow');
    expect(noChannel.code).toBe(2);
    expect(noChannel.stderr).toMatch(/--channel/);
    const badAddress = await revos(h, 'consents', 'set', '--tenant', TENANT, '--address', '5551234', '--channel', 'sms', '--status', 'deny');
    expect(badAddress.code).toBe(2);
    expect(badAddress.stderr).toMatch(/--address: must be an E\.164 phone number/);
    const neither = await revos(h, 'consents', 'show', '--tenant', TENANT);
    expect(neither.code).toBe(2);
    expect(neither.stderr).toMatch(/exactly one of subject/);
    const noTenant = await revos(h, 'consents', 'show', '--subject', 'p_gil');
    expect(noTenant).toMatchObject({ code: 2 });
    expect(noTenant.stderr).toMatch(/--tenant/);
  });
});
