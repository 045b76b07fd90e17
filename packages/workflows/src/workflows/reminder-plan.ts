/**
 * Which reminders one page of a practice's schedule calls for: pure, so a sweep's retry plans the same
 * texts from the same page. An appointment gets the reminder of the smallest window it is inside
 * (windows [48, 2]: 30 h ahead → the 48 h reminder; 90 min ahead → the 2 h one), so every sweep in the
 * window asks for the same text and intake keeps one; a sweep that was missed is caught up by the next.
 * The key of each text is made from the appointment, its start and the window, never from the sweep:
 * an appointment moved to another time is a new appointment to remind of.
 *
 * The channel is the patient's preference as the PMS records it (`preferred_channel: 'email'` with a
 * usable `patient_email`), else a text: an email-preferring patient whose record has no usable address
 * is texted (counted as `email_fallback_sms`), and one with neither a usable address nor a phone is
 * skipped as `no_phone`. A patient who prefers texts and has no phone is not emailed instead.
 */
import { sha256Hex, Subject } from '@revos/envelope';
import type { ScheduledAppointment } from '../adapters/index.js';

const HOUR_MS = 3_600_000;

/** Statuses a reminder is sent for; anything else (cancelled, completed, no_show, ...) is skipped. */
export const REMINDED_STATUSES: ReadonlySet<string> = new Set(['booked', 'confirmed', 'scheduled']);

export interface PlannedReminder {
  /** The follow-up's trigger id: `reminder:<window>h:<hash of appointment id and start>` (no PHI in it). */
  triggerId: string;
  patientId: string;
  /** `sms`: a WF30_Send_SMS to a phone; `email`: a WF36_Send_Email to an address. */
  channel: 'sms' | 'email';
  /** PHI (a phone or an email address, by channel): goes only into the follow-up's payload. */
  to: string;
  appointmentId: string;
  /** The start in UTC (`toISOString`): one instant, one key, whatever offset the PMS wrote it with. */
  appointmentAt: string;
  windowHours: number;
}

export interface ReminderPlan {
  reminders: PlannedReminder[];
  /** Counts only (what the run's output and logs may hold). */
  skipped: { cancelled: number; past: number; no_phone: number; no_patient: number; outside_windows: number };
  /** Reminders by channel, and email-preferring patients texted for want of a usable address (counts only). */
  channels: { sms: number; email: number; email_fallback_sms: number };
}

/** Windows sorted from the widest; the sweep's range is [sweep_at, sweep_at + the widest). */
export function sortedWindows(hours: readonly number[]): number[] {
  return [...new Set(hours)].sort((a, b) => b - a);
}

export function planReminders(appointments: readonly ScheduledAppointment[], options: { sweepAtMs: number; nowMs: number; windowsHours: readonly number[] }): ReminderPlan {
  const windows = sortedWindows(options.windowsHours);
  const plan: ReminderPlan = { reminders: [], skipped: { cancelled: 0, past: 0, no_phone: 0, no_patient: 0, outside_windows: 0 }, channels: { sms: 0, email: 0, email_fallback_sms: 0 } };
  for (const a of appointments) {
    const startMs = Date.parse(a.start);
    if (!REMINDED_STATUSES.has(a.status.toLowerCase())) {
      plan.skipped.cancelled++;
      continue;
    }
    // Past by the clock now, not only by the sweep's time: a late page of a sweep does not remind of what began.
    if (startMs <= options.nowMs || startMs <= options.sweepAtMs) {
      plan.skipped.past++;
      continue;
    }
    const aheadMs = startMs - options.sweepAtMs;
    // The smallest window the appointment is inside (windows sorted widest first).
    const window = windows.filter((w) => aheadMs <= w * HOUR_MS).at(-1);
    if (window === undefined) {
      plan.skipped.outside_windows++;
      continue;
    }
    const byEmail = a.preferredChannel === 'email' && a.patientEmail !== null;
    if (!byEmail && !a.patientPhone) {
      plan.skipped.no_phone++;
      continue;
    }
    // The PMS's patient id is the fleet's subject (as WF17 books with it); one that is not cannot pass consent.
    if (!Subject.safeParse({ patient_id: a.patientId }).success) {
      plan.skipped.no_patient++;
      continue;
    }
    const appointmentAt = new Date(startMs).toISOString();
    if (byEmail) plan.channels.email++;
    else plan.channels.sms++;
    if (!byEmail && a.preferredChannel === 'email') plan.channels.email_fallback_sms++;
    plan.reminders.push({
      triggerId: reminderTriggerId(a.appointmentId, appointmentAt, window),
      patientId: a.patientId,
      channel: byEmail ? 'email' : 'sms',
      to: byEmail ? a.patientEmail! : a.patientPhone!,
      appointmentId: a.appointmentId,
      appointmentAt,
      windowHours: window,
    });
  }
  return plan;
}

/** Hashed: an appointment's id and time stay out of trigger ids, which are stored and shown as they are. */
export function reminderTriggerId(appointmentId: string, appointmentAtUtc: string, windowHours: number): string {
  return `reminder:${windowHours}h:${sha256Hex(`${appointmentId}|${appointmentAtUtc}`).slice(0, 40)}`;
}
