import { setConsent, upsertTenant } from '@revos/db';
import { submitRun } from '@revos/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, TENANT_CONFIG, type Harness } from '../support/harness.js';
import type { TestProducer } from '../producer/helpers.js';
import { newMessageSid, startPatientsProducer, textIn, textsTo } from './helpers.js';

/**
 * Inbound texts of a phi_minimized tenant: the webhook takes the tenant's privacy mode and the known
 * subject; the message text appears in no table at all and the number only as a token.
 */
const PHI_TENANT = 't_phi_practice';
const STANDARD_TENANT = 't_std_practice';
const CANARY_PHONE = '+15559990123';
const CANARY_DIGITS = '5559990123';
const CANARY_BODY = 'CANARY-8812 the rash on my arm is spreading';
const CANARY_RESCHEDULE = 'CANARY-8813 can I reschedule, my chemo moved';
const CANARIES = [CANARY_DIGITS, 'CANARY-8812', 'CANARY-8813', 'rash on my arm', 'chemo'];

let h: Harness;
let p: TestProducer;
beforeAll(async () => {
  h = await startHarness();
  p = await startPatientsProducer(h);
  await upsertTenant(h.db.sql, { tenantId: PHI_TENANT, name: 'Discreet Clinic', config: { ...TENANT_CONFIG, privacy_mode: 'phi_minimized' } });
  await upsertTenant(h.db.sql, { tenantId: STANDARD_TENANT, name: 'Plain Clinic', config: TENANT_CONFIG });
  await setConsent(h.db.sql, { tenantId: PHI_TENANT, subjectId: 'p_rae', channel: 'sms', status: 'allow' });
});
afterAll(async () => {
  await p?.close();
  await h?.close();
});

/** Every row of every table in the schema, as text. */
async function everyTable(): Promise<Record<string, string>> {
  const tables = await h.db.sql<{ table_name: string }[]>`
    select table_name from information_schema.tables where table_schema = 'public' and table_type = 'BASE TABLE' order by table_name`;
  const out: Record<string, string> = {};
  for (const { table_name } of tables) {
    const rows = await h.db.sql.unsafe(`select row_to_json(t)::text as j from "${table_name}" t`);
    out[table_name] = rows.map((r) => String(r.j)).join('\n');
  }
  return out;
}

describe('a phi_minimized tenant', () => {
  it('stores an inbound text from a known patient redacted, with the patient as subject, and the text in no table', async () => {
    // The practice texts the patient first (a phi_minimized run): the number becomes a known contact.
    const out = h.envelope({ workflow: 'WF30_Send_SMS', tenantId: PHI_TENANT, payload: { to: CANARY_PHONE, template: 'appointment_reminder', appointment_id: 'apt_phi_1' }, subject: { patient_id: 'p_rae' }, privacyMode: 'phi_minimized' });
    await submitRun(h, out, { source: 'api' });
    expect((await h.waitForRun(out.meta.workflow_run_id)).status).toBe('ok');

    const run = await textIn(h, p, { tenant: PHI_TENANT, sid: newMessageSid(), from: CANARY_PHONE, body: CANARY_BODY });
    expect(run.status).toBe('ok');
    const reschedule = await textIn(h, p, { tenant: PHI_TENANT, sid: newMessageSid(), from: CANARY_PHONE, body: CANARY_RESCHEDULE });
    expect(reschedule.output?.result.primary_outputs).toMatchObject({ intent: 'reschedule' });

    const [stored] = await h.db.sql<{ privacy_mode: string; subject: Record<string, string>; payload: Record<string, string> }[]>`
      select privacy_mode, envelope->'subject' as subject, envelope->'payload' as payload from workflow_runs where workflow_run_id = ${run.workflow_run_id}`;
    expect(stored?.privacy_mode).toBe('phi_minimized');
    expect(stored?.subject).toEqual({ patient_id: 'p_rae' });
    expect(stored?.payload['from']).toMatch(/^tok_phone_[0-9a-f]{24}$/);
    expect(stored?.payload['body']).toMatch(/^\[redacted:free_text:len=\d+:tok_text_[0-9a-f]{24}\]$/);

    const tables = await everyTable();
    expect(Object.keys(tables)).toEqual(expect.arrayContaining(['workflow_runs', 'events', 'effects', 'tasks', 'subject_contacts', 'appointment_prompts', 'accepted_runs']));
    for (const [table, text] of Object.entries(tables)) {
      expect({ table, leaks: CANARIES.filter((c) => text.includes(c)) }).toEqual({ table, leaks: [] });
    }
    const logs = JSON.stringify(h.logLines) + p.logText.join('');
    expect(CANARIES.filter((c) => logs.includes(c))).toEqual([]);
    // The vendor got the real number for the reminder; nothing else did.
    expect(textsTo(h, CANARY_PHONE)).toHaveLength(1);
  });

  it('a standard tenant keeps the inbound text where the run needs it', async () => {
    const run = await textIn(h, p, { tenant: STANDARD_TENANT, sid: newMessageSid(), from: '+15559990124', body: 'see you tomorrow' });
    const [stored] = await h.db.sql<{ privacy_mode: string; payload: Record<string, string> }[]>`
      select privacy_mode, envelope->'payload' as payload from workflow_runs where workflow_run_id = ${run.workflow_run_id}`;
    expect(stored).toEqual({ privacy_mode: 'standard', payload: expect.objectContaining({ from: '+15559990124', body: 'see you tomorrow' }) });
  });

  it('an invalid privacy_mode in tenant config is treated as phi_minimized, with a warning naming the field', async () => {
    await upsertTenant(h.db.sql, { tenantId: 't_typo_practice', name: 'Typo Clinic', config: { ...TENANT_CONFIG, privacy_mode: 'phi-minimised' } });
    const run = await textIn(h, p, { tenant: 't_typo_practice', sid: newMessageSid(), from: '+15559990125', body: 'hello there' });
    const [stored] = await h.db.sql<{ privacy_mode: string }[]>`select privacy_mode from workflow_runs where workflow_run_id = ${run.workflow_run_id}`;
    expect(stored?.privacy_mode).toBe('phi_minimized');
    expect(p.logText.join('')).toMatch(/"field":"config.privacy_mode"/);
  });
});
