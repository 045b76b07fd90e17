/**
 * Reminders on the patient's preferred channel: the stand-in PMS's schedule says which patients prefer
 * email (`preferred_channel: 'email'` and `patient_email`); the sweep (WF32) asks for a WF36_Send_Email
 * for those and a WF30_Send_SMS for everyone else, under the same once-per-appointment-and-window key.
 * Real Redis, PostgreSQL, the lane workers and the Twilio, PMS and Postmark stand-ins over HTTP.
 */
import { recordConsentChange, setConsent, upsertTenant } from '@revos/db';
import { dispatchPending } from '@revos/runtime';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { invalidStoredOutputs, startHarness, TENANT, TENANT_CONFIG, type Harness } from '../support/harness.js';
import { allowSmsAll, appointment, fireSweep, reminderSchedule, settle, textsByNumber } from './sweep-helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ immediateDispatch: true, lanes: ['interactive', 'batch'] });
  await upsertTenant(h.db.sql, { tenantId: TENANT, name: 'Test Practice', config: { ...TENANT_CONFIG, practice_name: 'Lakeside Dental' } });
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  h.vendor.reset();
  h.postmark.reset();
  await h.db.sql`truncate workflow_runs, accepted_runs, idempotency_keys, outbox, events, effects, tasks`;
});

const phone = (n: number) => `+1555810${String(n).padStart(4, '0')}`;
const mail = (id: string) => `${id}@patient.test`;
const MINUTE = 60_000;

function emailsByAddress(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const e of h.postmark.emails) counts[e.To] = (counts[e.To] ?? 0) + 1;
  return counts;
}

/** Two texting patients, three preferring email (one of them opted out of email), one preferring email with no address on record. */
async function seedMixedSchedule() {
  h.vendor.addAppointments([
    appointment('s1', 30, phone(1)),
    appointment('s2', 1.5, phone(2), { preferred_channel: 'sms', patient_email: mail('s2') }), // prefers texts though it has an address
    appointment('e1', 30, phone(3), { preferred_channel: 'email', patient_email: mail('e1') }),
    appointment('e2', 1.5, null, { preferred_channel: 'email', patient_email: 'E2@Patient.TEST' }), // no phone: email is enough
    appointment('e3', 20, phone(5), { preferred_channel: 'email', patient_email: mail('e3') }), // unsubscribed from email
    appointment('e4', 10, phone(6), { preferred_channel: 'email', patient_email: 'not an address' }), // falls back to a text
    appointment('e5', 5, phone(7), { preferred_channel: 'email', patient_email: mail('e5'), status: 'cancelled' }),
  ]);
  const patients = ['p_s1', 'p_s2', 'p_e1', 'p_e2', 'p_e3', 'p_e4', 'p_e5'];
  await allowSmsAll(h, patients);
  for (const p of patients) await setConsent(h.db.sql, { tenantId: TENANT, subjectId: p, channel: 'email', status: 'allow', source: 'test' });
  // e3 used an email's one-click unsubscribe: the address is denied, whatever the subject's consent says.
  await recordConsentChange(h.db.sql, { tenantId: TENANT, target: { kind: 'address', address: mail('e3') }, channel: 'email', status: 'deny', source: 'email_unsubscribe', actor: 'patient' });
}

describe('reminders on the preferred channel', () => {
  it('a mixed schedule: each reminder once, by email where the record prefers it and has an address, else by text', async () => {
    await seedMixedSchedule();
    const sweep = await fireSweep(h, reminderSchedule('reminders', { page_size: 3 }), new Date());
    await settle(h);

    expect(emailsByAddress()).toEqual({ [mail('e1')]: 1, [mail('e2')]: 1 });
    expect(Object.fromEntries(textsByNumber(h))).toEqual({ [phone(1)]: 1, [phone(2)]: 1, [phone(6)]: 1 });
    for (const e of h.postmark.emails) {
      expect(e.Subject).toBe('Appointment reminder - Lakeside Dental');
      // A reminder is not transactional: one-click unsubscribe, as every such email.
      expect(e.Headers.find((x) => x.Name === 'List-Unsubscribe-Post')?.Value).toBe('List-Unsubscribe=One-Click');
    }

    const runs = await h.db.sql<{ workflow_name: string; patient: string; status: string; failure_code: string | null; trigger_id: string; root_run_id: string; payload: any }[]>`
      select workflow_name, envelope->'subject'->>'patient_id' as patient, status, failure_code, trigger_id, root_run_id, envelope->'payload' as payload
        from workflow_runs where workflow_name in ('WF30_Send_SMS', 'WF36_Send_Email') order by 2`;
    expect(runs.map((r) => [r.patient, r.workflow_name, r.status, r.failure_code])).toEqual([
      ['p_e1', 'WF36_Send_Email', 'ok', null],
      ['p_e2', 'WF36_Send_Email', 'ok', null],
      ['p_e3', 'WF36_Send_Email', 'blocked', 'consent_denied'], // asked for, stopped by WF36's consent gate: no email, no text instead
      ['p_e4', 'WF30_Send_SMS', 'ok', null],
      ['p_s1', 'WF30_Send_SMS', 'ok', null],
      ['p_s2', 'WF30_Send_SMS', 'ok', null],
    ]);
    for (const r of runs) {
      expect(r.root_run_id).toBe(sweep.workflow_run_id);
      expect(r.trigger_id).toMatch(/^next:reminder:(48|2)h:[0-9a-f]{40}$/);
      expect(r.payload).toMatchObject({ template: 'appointment_reminder', appointment_id: r.patient.slice(2) });
    }

    // The pages count the channels; no address of either kind in their outputs (only the children's payloads hold one) or in any log line.
    const pages = await h.db.sql<{ output: any }[]>`select run_output(workflow_runs) as output from workflow_runs where workflow_name = 'WF32_Appointment_Reminders'`;
    const channels = pages.map((p) => p.output.result.primary_outputs.channels).reduce((t: any, c: any) => ({ sms: t.sms + c.sms, email: t.email + c.email, email_fallback_sms: t.email_fallback_sms + c.email_fallback_sms }));
    expect(channels).toEqual({ sms: 3, email: 3, email_fallback_sms: 1 });
    const outputs = JSON.stringify(pages.map((p) => p.output.result.primary_outputs));
    expect(outputs).not.toMatch(/patient\.test|\+1555/i);
    expect(h.logLines.filter((l) => /patient\.test|\+155581/i.test(JSON.stringify(l)))).toEqual([]);
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });

  it('overlapping and repeated sweeps send nothing more on either channel', async () => {
    await seedMixedSchedule();
    const schedule = reminderSchedule('reminders');
    const slot = new Date();
    await Promise.all([fireSweep(h, schedule, slot), fireSweep(h, reminderSchedule('reminders-extra'), slot), fireSweep(h, schedule, slot)]);
    await settle(h);
    await fireSweep(h, schedule, new Date(slot.getTime() + 15 * MINUTE));
    await settle(h);

    expect(emailsByAddress()).toEqual({ [mail('e1')]: 1, [mail('e2')]: 1 });
    expect(Object.fromEntries(textsByNumber(h))).toEqual({ [phone(1)]: 1, [phone(2)]: 1, [phone(6)]: 1 });
    const counts = await h.db.sql<{ workflow_name: string; n: number }[]>`
      select workflow_name, count(*)::int as n from workflow_runs where workflow_name in ('WF30_Send_SMS', 'WF36_Send_Email') group by 1 order by 1`;
    expect(counts).toEqual([{ workflow_name: 'WF30_Send_SMS', n: 3 }, { workflow_name: 'WF36_Send_Email', n: 3 }]);
  });
});

describe('an email sweep whose fan-out was cut off', () => {
  let d: Harness;
  beforeAll(async () => {
    // No immediate dispatch: the follow-ups wait in the outbox until this test's dispatcher takes them.
    d = await startHarness({ lanes: ['interactive', 'batch'] });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('is finished by the next dispatch and an overlapping sweep without a second email', async () => {
    const ids = [1, 2, 3, 4];
    d.vendor.addAppointments(ids.map((i) => appointment(`m${i}`, 3 + i, phone(20 + i), { preferred_channel: 'email', patient_email: mail(`m${i}`) })));
    for (const i of ids) await setConsent(d.db.sql, { tenantId: TENANT, subjectId: `p_m${i}`, channel: 'email', status: 'allow', source: 'test' });
    const first = await fireSweep(d, reminderSchedule('reminders'), new Date());
    await d.waitForRun(first.workflow_run_id);
    // The dispatcher hands over one of the four emails, then dies.
    expect(await dispatchPending({ ...d, log: d.deps.log }, { limit: 1 })).toHaveLength(1);

    const second = await fireSweep(d, reminderSchedule('reminders'), new Date(Date.now() + MINUTE));
    await d.waitForRun(second.workflow_run_id);
    await settle(d);

    const counts: Record<string, number> = {};
    for (const e of d.postmark.emails) counts[e.To] = (counts[e.To] ?? 0) + 1;
    expect(counts).toEqual(Object.fromEntries(ids.map((i) => [mail(`m${i}`), 1])));
    expect(d.vendor.resources.filter((r) => r.kind === 'message')).toEqual([]);
    const outbox = await d.db.sql<{ state: string; child_run_id: string }[]>`select state, child_run_id from outbox where workflow = 'WF36_Send_Email'`;
    expect(outbox).toHaveLength(8);
    expect(new Set(outbox.map((o) => o.child_run_id)).size).toBe(4); // both sweeps' actions point at the same four runs
  });
});
