/**
 * Fault case: a reminder sweep of many appointments (WF32_Appointment_Reminders). The schedule is
 * seeded on the stand-in PMS (a distinct number per patient, every patient consenting), one sweep is
 * fired as the cron producer fires it, paging 500 at a time, while the PMS answers one page with a
 * 503 (retried as the runtime retries a vendor read) and two dispatchers (the worker's immediate one
 * and the producer's loop) race for the texts. Checks, from the stand-in and the durable record:
 * exactly `n` texts, one per number (0 duplicates), and `n` WF30 runs, all `ok`.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../../support/harness.js';
import { allowSmsAll, appointment, fireSweep, reminderSchedule, settle, textsByNumber } from '../../reminders/sweep-helpers.js';

export interface ReminderSweepProfile {
  name: 'short' | 'full';
  appointments: number;
  /** The whole case's budget. */
  timeoutMs: number;
}

export function reminderSweepSuite(profile: ReminderSweepProfile): void {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ immediateDispatch: true, lanes: ['interactive', 'batch'] });
  });
  afterAll(async () => {
    await h?.close();
  });

  describe(`fault: a reminder sweep of ${profile.appointments} appointments (${profile.name})`, () => {
    it(`sends exactly ${profile.appointments} texts, none twice`, async () => {
      const { seconds } = await sweepOf(h, profile.appointments, profile.timeoutMs);
      console.log(JSON.stringify({ fault: 'reminder-sweep', profile: profile.name, appointments: profile.appointments, seconds: Math.round(seconds * 10) / 10 }));
    }, profile.timeoutMs + 60_000);
  });
}

async function sweepOf(h: Harness, n: number, timeoutMs: number): Promise<{ seconds: number }> {
  const ids = Array.from({ length: n }, (_, i) => `s${i}`);
  // Spread over the next 40 hours, all inside the 48 h window; a distinct number per patient.
  h.vendor.addAppointments(ids.map((id, i) => appointment(id, 3 + (37 * i) / n, `+1555${String(1_000_000 + i)}`)));
  await allowSmsAll(h, ids.map((id) => `p_${id}`));
  // The second page's first answer is a 503: its run is retried, as any vendor read is.
  const page = h.vendor.defaultAnswer('appointments_list');
  h.vendor.script('appointments_list', [page, { status: 503, body: { code: 'unavailable' } }]);
  const started = performance.now();
  await fireSweep(h, reminderSchedule('reminders', { page_size: 500 }), new Date());
  await settle(h, timeoutMs);
  const seconds = (performance.now() - started) / 1000;

  const texts = textsByNumber(h);
  expect(h.vendor.resources.filter((r) => r.kind === 'message')).toHaveLength(n);
  expect(texts.size).toBe(n);
  expect([...texts.values()].every((count) => count === 1)).toBe(true);
  const [runs] = await h.db.sql<{ ok: number; other: number }[]>`
    select count(*) filter (where status = 'ok')::int as ok, count(*) filter (where status <> 'ok')::int as other
      from workflow_runs where workflow_name = 'WF30_Send_SMS'`;
  expect(runs).toEqual({ ok: n, other: 0 });
  return { seconds };
}
