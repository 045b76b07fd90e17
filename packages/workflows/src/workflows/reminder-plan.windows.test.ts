import { describe, expect, it } from 'vitest';
import type { ScheduledAppointment } from '../adapters/index.js';
import { planReminders, reminderTriggerId } from './reminder-plan.js';

const H = 3_600_000;
const SWEEP = Date.parse('2030-03-04T08:00:00Z');

function appt(id: string, hoursAhead: number, over: Partial<ScheduledAppointment> = {}): ScheduledAppointment {
  return { appointmentId: id, patientId: `p_${id}`, patientPhone: '+15557770001', patientEmail: null, preferredChannel: 'sms', start: new Date(SWEEP + hoursAhead * H).toISOString(), status: 'booked', ...over };
}
const plan = (list: ScheduledAppointment[], windowsHours = [48, 2], nowMs = SWEEP) => planReminders(list, { sweepAtMs: SWEEP, nowMs, windowsHours });

describe('planReminders', () => {
  it('gives each appointment the reminder of the smallest window it is inside', () => {
    const { reminders } = plan([appt('a', 30), appt('b', 1.5), appt('c', 48), appt('d', 2)]);
    expect(reminders.map((r) => [r.appointmentId, r.windowHours])).toEqual([['a', 48], ['b', 2], ['c', 48], ['d', 2]]);
  });

  it('skips cancelled, past, outside-the-windows, phoneless and subjectless appointments, counting each', () => {
    const result = plan(
      [
        appt('ok', 5),
        appt('x', 5, { status: 'cancelled' }),
        appt('y', 5, { status: 'no_show' }),
        appt('past', -1),
        appt('far', 60),
        appt('nophone', 5, { patientPhone: null }),
        appt('bad', 5, { patientId: 'PMS-123' }),
      ],
      [48, 2],
    );
    expect(result.reminders.map((r) => r.appointmentId)).toEqual(['ok']);
    expect(result.skipped).toEqual({ cancelled: 2, past: 1, no_phone: 1, no_patient: 1, outside_windows: 1 });
  });

  it('calls an appointment that began before now past, even inside the sweep range', () => {
    expect(plan([appt('late', 1)], [48, 2], SWEEP + 2 * H).skipped.past).toBe(1);
  });

  it('makes the trigger id from the appointment, its start in UTC and the window: not the sweep, and no PHI in it', () => {
    const a = plan([appt('a', 30)]).reminders[0]!;
    // The same instant written with another offset is the same reminder.
    const sameInstant = plan([appt('a', 30, { start: new Date(SWEEP + 30 * H).toISOString().replace('Z', '+00:00') })]).reminders[0]!;
    expect(sameInstant.triggerId).toBe(a.triggerId);
    expect(a.appointmentAt).toBe('2030-03-05T14:00:00.000Z');
    // A later sweep inside the same window asks for the same text.
    const later = planReminders([appt('a', 30)], { sweepAtMs: SWEEP - 5 * H, nowMs: SWEEP - 5 * H, windowsHours: [48, 2] }).reminders[0]!;
    expect(later.triggerId).toBe(a.triggerId);
    // Moved to another time: another reminder.
    expect(plan([appt('a', 31)]).reminders[0]!.triggerId).not.toBe(a.triggerId);
    expect(a.triggerId).toBe(reminderTriggerId('a', '2030-03-05T14:00:00.000Z', 48));
    expect(a.triggerId).toMatch(/^reminder:48h:[0-9a-f]{40}$/);
  });

  it('reminds by email where the record prefers it and has an address, else by text', () => {
    const result = plan([
      appt('text', 5),
      appt('mail', 5, { preferredChannel: 'email', patientEmail: 'ann@patient.test' }),
      appt('mailonly', 5, { preferredChannel: 'email', patientEmail: 'bo@patient.test', patientPhone: null }),
      appt('noaddress', 5, { preferredChannel: 'email' }), // texted instead
      appt('neither', 5, { preferredChannel: 'email', patientPhone: null }),
      appt('textonly', 5, { patientPhone: null, patientEmail: 'cy@patient.test' }), // prefers texts: not emailed instead
    ]);
    expect(result.reminders.map((r) => [r.appointmentId, r.channel, r.to])).toEqual([
      ['text', 'sms', '+15557770001'],
      ['mail', 'email', 'ann@patient.test'],
      ['mailonly', 'email', 'bo@patient.test'],
      ['noaddress', 'sms', '+15557770001'],
    ]);
    expect(result.channels).toEqual({ sms: 2, email: 2, email_fallback_sms: 1 });
    expect(result.skipped.no_phone).toBe(2);
    // The channel is not in the key: one reminder per appointment and window, whichever way it goes.
    expect(result.reminders[1]!.triggerId).toBe(reminderTriggerId('mail', result.reminders[1]!.appointmentAt, 48));
  });
});
