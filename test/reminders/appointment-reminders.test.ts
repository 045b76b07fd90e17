/**
 * The reminder sweep (WF32_Appointment_Reminders) against the real fleet (Redis, PostgreSQL, the
 * lane workers) and the stand-in PMS and Twilio: started as the cron producer starts it, it pages
 * through the practice's schedule and texts each patient once per appointment and window, whatever
 * overlaps, re-runs and failures happen around it.
 */
import { recordConsentChange, upsertTenant } from '@revos/db';
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
  await h.db.sql`truncate workflow_runs, accepted_runs, idempotency_keys, outbox, events, effects, tasks`;
});

const phone = (n: number) => `+1555800${String(n).padStart(4, '0')}`;
const MINUTE = 60_000;

/** A practice's schedule: two due reminders, and one each of what must not be texted. */
async function seedSchedule() {
  const schedule = [
    appointment('r1', 30, phone(1)), // inside 48 h: the 48 h reminder
    appointment('r2', 1.5, phone(2), { status: 'confirmed' }), // inside 2 h: the 2 h reminder
    appointment('r3', 5, phone(3), { status: 'cancelled' }),
    appointment('r4', 60, phone(4)), // beyond the widest window (the PMS is asked up to 48 h; never listed)
    appointment('r5', 10, phone(5)), // the number texted STOP
    appointment('r6', 12, null, { patient_phone: null }), // no mobile on record
  ];
  h.vendor.addAppointments(schedule);
  await allowSmsAll(h, ['p_r1', 'p_r2', 'p_r3', 'p_r4', 'p_r5', 'p_r6']);
  await recordConsentChange(h.db.sql, { tenantId: TENANT, target: { kind: 'address', address: phone(5) }, channel: 'sms', status: 'deny', source: 'sms_keyword', actor: 'patient' });
  return schedule;
}

describe('the reminder sweep', () => {
  it('texts one reminder per appointment and window, page by page, and nothing cancelled, far, opted out or unreachable', async () => {
    await seedSchedule();
    const sweep = await fireSweep(h, reminderSchedule('reminders', { page_size: 2 }), new Date());
    await settle(h);

    expect(Object.fromEntries(textsByNumber(h))).toEqual({ [phone(1)]: 1, [phone(2)]: 1 });
    const texts = h.vendor.resources.filter((r) => r.kind === 'message');
    for (const t of texts) expect(t.fields['body']).toBe('Lakeside Dental: Reminder: you have an appointment with us soon. Reply C to confirm.');

    // Paged as asked: 5 listed appointments (r4 lies beyond 48 h), 2 a page → 3 pages, each its own run under the sweep.
    const pages = await h.db.sql<{ workflow_run_id: string; status: string; root_run_id: string; output: any }[]>`
      select workflow_run_id, status, root_run_id, run_output(workflow_runs) as output from workflow_runs where workflow_name = 'WF32_Appointment_Reminders' order by coalesce((envelope->'payload'->>'page')::int, 1)`;
    expect(pages.map((p) => p.status)).toEqual(['ok', 'ok', 'ok']);
    expect(pages.every((p) => p.root_run_id === sweep.workflow_run_id)).toBe(true);
    expect(h.vendor.requests.filter((r) => r.route === 'appointments_list').map((r) => r.query['page_size'])).toEqual(['2', '2', '2']);
    const skipped = pages.map((p) => p.output.result.primary_outputs.skipped);
    expect(skipped.reduce((n: number, s: any) => n + s.cancelled, 0)).toBe(1);
    expect(skipped.reduce((n: number, s: any) => n + s.no_phone, 0)).toBe(1);

    // Each text is a WF30 run in the sweep's lineage, about its patient, keyed by the appointment and window.
    const sends = await h.db.sql<{ status: string; failure_code: string | null; subject: any; trigger_id: string; root_run_id: string; payload: any }[]>`
      select status, failure_code, envelope->'subject' as subject, trigger_id, root_run_id, envelope->'payload' as payload
        from workflow_runs where workflow_name = 'WF30_Send_SMS' order by envelope->'subject'->>'patient_id'`;
    expect(sends.map((s) => [s.subject.patient_id, s.status, s.failure_code])).toEqual([
      ['p_r1', 'ok', null],
      ['p_r2', 'ok', null],
      ['p_r5', 'blocked', 'consent_denied'], // asked for, stopped by WF30's opt-out gate: no text
    ]);
    for (const s of sends) {
      expect(s.root_run_id).toBe(sweep.workflow_run_id);
      expect(s.trigger_id).toMatch(/^next:reminder:(48|2)h:[0-9a-f]{40}$/);
      expect(s.payload).toMatchObject({ template: 'appointment_reminder', appointment_id: s.subject.patient_id.slice(2) });
    }
    expect(sends.find((s) => s.subject.patient_id === 'p_r2')!.trigger_id).toMatch(/:2h:/);
    expect(sends.find((s) => s.subject.patient_id === 'p_r1')!.trigger_id).toMatch(/:48h:/);

    // No phone number in the sweep's output or in any log line.
    expect(JSON.stringify(pages.map((p) => p.output.result.primary_outputs))).not.toMatch(/\+1555/);
    expect(h.logLines.filter((l) => JSON.stringify(l).includes('+1555800'))).toEqual([]);
    expect(await invalidStoredOutputs(h.db)).toEqual([]);
  });

  it('overlapping sweeps, the same slot fired again and a later sweep send each reminder once; a moved appointment is reminded again', async () => {
    const seeded = await seedSchedule();
    const schedule = reminderSchedule('reminders');
    const slot = new Date();
    // Two schedules (a replica with another id, an operator's one-off) whose ranges overlap, and the same slot twice.
    const [a, b, again] = await Promise.all([fireSweep(h, schedule, slot), fireSweep(h, reminderSchedule('reminders-extra'), slot), fireSweep(h, schedule, slot)]);
    expect(again.workflow_run_id).toBe(a.workflow_run_id);
    expect(b.workflow_run_id).not.toBe(a.workflow_run_id);
    await settle(h);
    expect(Object.fromEntries(textsByNumber(h))).toEqual({ [phone(1)]: 1, [phone(2)]: 1 });

    // The next quarter hour's sweep sees the same appointments in the same windows: nothing new.
    await fireSweep(h, schedule, new Date(slot.getTime() + 15 * MINUTE));
    await settle(h);
    expect(Object.fromEntries(textsByNumber(h))).toEqual({ [phone(1)]: 1, [phone(2)]: 1 });
    const [count] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from workflow_runs where workflow_name = 'WF30_Send_SMS'`;
    expect(count?.n).toBe(3); // r1, r2 and the opted-out r5, each once however many sweeps asked

    // r1 moved an hour later: a new appointment time, a new reminder (the key holds the start).
    const moved = h.vendor.defaultAnswer('appointments_list');
    h.vendor.reset();
    h.vendor.setDefault('appointments_list', moved);
    const r1 = seeded.find((a) => a.appointment_id === 'r1')!;
    h.vendor.addAppointments([{ ...r1, start: new Date(Date.parse(r1.start) + 60 * MINUTE).toISOString() }, ...seeded.filter((a) => a.appointment_id !== 'r1')]);
    await fireSweep(h, schedule, new Date(slot.getTime() + 30 * MINUTE));
    await settle(h);
    expect(Object.fromEntries(textsByNumber(h))).toEqual({ [phone(1)]: 1 });
  });

  it('a PMS failing on page 2 is retried as any vendor read is; every reminder still goes out once', async () => {
    h.vendor.addAppointments([1, 2, 3, 4, 5].map((i) => appointment(`f${i}`, 3 + i, phone(10 + i))));
    await allowSmsAll(h, [1, 2, 3, 4, 5].map((i) => `p_f${i}`));
    const page = h.vendor.defaultAnswer('appointments_list');
    h.vendor.script('appointments_list', [page, { status: 503, body: { code: 'unavailable' } }, { status: 500, body: 'oops', headers: { 'content-type': 'text/plain' } }]);
    await fireSweep(h, reminderSchedule('reminders', { page_size: 2 }), new Date());
    await settle(h, 90_000);

    expect([...textsByNumber(h).values()]).toEqual([1, 1, 1, 1, 1]);
    const pages = await h.db.sql<{ status: string; retry_count: number }[]>`
      select status, retry_count from workflow_runs where workflow_name = 'WF32_Appointment_Reminders' order by coalesce((envelope->'payload'->>'page')::int, 1)`;
    expect(pages).toEqual([{ status: 'ok', retry_count: 0 }, { status: 'ok', retry_count: 2 }, { status: 'ok', retry_count: 0 }]);
    expect(h.vendor.countFor('appointments_list')).toBe(5); // page 1, page 2 three times, page 3
  }, 120_000);
});

describe('a sweep whose fan-out was cut off', () => {
  let d: Harness;
  beforeAll(async () => {
    // No immediate dispatch: the follow-ups wait in the outbox until this test's dispatcher takes them.
    d = await startHarness({ lanes: ['interactive', 'batch'] });
  });
  afterAll(async () => {
    await d?.close();
  });

  it('is finished by the next dispatch and an overlapping sweep without a second text', async () => {
    d.vendor.addAppointments([1, 2, 3, 4, 5, 6].map((i) => appointment(`c${i}`, 3 + i, phone(20 + i))));
    await allowSmsAll(d, [1, 2, 3, 4, 5, 6].map((i) => `p_c${i}`));
    const first = await fireSweep(d, reminderSchedule('reminders'), new Date());
    await d.waitForRun(first.workflow_run_id);
    // The dispatcher hands over two of the six texts, then dies.
    expect(await dispatchPending({ ...d, log: d.deps.log }, { limit: 2 })).toHaveLength(2);

    // The next sweep asks for all six again while four of the first sweep's are still pending.
    const second = await fireSweep(d, reminderSchedule('reminders'), new Date(Date.now() + MINUTE));
    await d.waitForRun(second.workflow_run_id);
    await settle(d);

    expect([...textsByNumber(d).values()]).toEqual([1, 1, 1, 1, 1, 1]);
    const outbox = await d.db.sql<{ state: string; child_run_id: string }[]>`select state, child_run_id from outbox where workflow = 'WF30_Send_SMS'`;
    expect(outbox).toHaveLength(12);
    expect(outbox.every((o) => o.state === 'dispatched')).toBe(true);
    expect(new Set(outbox.map((o) => o.child_run_id)).size).toBe(6); // both sweeps' actions point at the same six runs
  });
});
