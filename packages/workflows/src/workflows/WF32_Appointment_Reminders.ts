import { DEFAULT_REMINDER_WINDOWS_HOURS, TENANT_CONFIG_KEYS, WorkflowError } from '@revos/envelope';
import { defineWorkflow, type NextActionInput } from '@revos/runtime';
import { planReminders, sortedWindows } from './reminder-plan.js';
import { configString, type WorkflowServices } from './services.js';
import { MAX_SWEEP_PAGES, WF32Manifest, type WF32Payload } from '../manifests/WF32_Appointment_Reminders.js';

const HOUR_MS = 3_600_000;
const DEFAULT_PAGE_SIZE = 100;

/**
 * The reminder sweep: reads one page of the practice's schedule (`practice_id`) for appointments
 * starting within the widest reminder window (`reminder_windows_hours`, default 48 and 2) of the
 * sweep's time, and asks for one reminder per (appointment, window) due, skipping cancelled and past
 * ones: a `WF36_Send_Email` where the PMS record prefers email and has an address, else a
 * `WF30_Send_SMS` (see reminder-plan.ts). Either child passes its own consent and opt-out gates.
 * Each reminder's trigger id is made from the appointment, its start and the window (see
 * reminder-plan.ts), so overlapping sweeps, a re-run and a crashed sweep's retry all ask for the same
 * child, which intake runs once. The next page is this workflow's own follow-up, so a PMS failing on
 * page 7 retries page 7 alone. Phone numbers and email addresses go only into the children's payloads:
 * never into the output, the logs or the trigger ids.
 */
export function WF32_Appointment_Reminders(services: WorkflowServices) {
  return defineWorkflow({
    ...WF32Manifest,
    async run(ctx) {
      const page = ctx.payload.page ?? 1;
      const pageSize = ctx.payload.page_size ?? DEFAULT_PAGE_SIZE;
      // Every page of one sweep, and every retry of it, measures from the same instant.
      const sweepAtMs = Date.parse(ctx.payload.sweep_at ?? ctx.envelope.meta.timestamp_utc);
      const windowsHours = sortedWindows(reminderWindows(ctx.tenant.config));
      const listed = await services.pms.listAppointments(
        {
          practiceId: configString(ctx.tenant.config, 'practice_id'),
          startFrom: new Date(sweepAtMs).toISOString(),
          startTo: new Date(sweepAtMs + windowsHours[0]! * HOUR_MS).toISOString(),
          pageSize,
          ...(ctx.payload.page_token === undefined ? {} : { pageToken: ctx.payload.page_token }),
        },
        { signal: ctx.signal },
      );
      const plan = planReminders(listed.appointments, { sweepAtMs, nowMs: Date.now(), windowsHours });
      const nextActions: NextActionInput[] = plan.reminders.map((r) => ({
        workflow: r.channel === 'email' ? 'WF36_Send_Email' : 'WF30_Send_SMS',
        trigger_id: r.triggerId,
        subject: { patient_id: r.patientId },
        payload: { to: r.to, template: 'appointment_reminder', appointment_id: r.appointmentId, appointment_at: r.appointmentAt },
      }));
      if (listed.nextPageToken !== null) {
        if (page >= MAX_SWEEP_PAGES) {
          throw new WorkflowError('invalid_input', `the PMS listed more than ${MAX_SWEEP_PAGES} pages; raise page_size or check the PMS's paging`, { stage: 'core_logic', details: { page, page_size: pageSize } });
        }
        const next: WF32Payload = { sweep_at: new Date(sweepAtMs).toISOString(), page_token: listed.nextPageToken, page: page + 1, ...(ctx.payload.page_size === undefined ? {} : { page_size: pageSize }) };
        // First: its index (and so its key) is the same however many texts a retry of this page plans.
        nextActions.unshift({ workflow: 'WF32_Appointment_Reminders', payload: next });
      }
      ctx.log.info({ page, listed: listed.appointments.length, unreadable: listed.unreadable, reminders: plan.reminders.length, channels: plan.channels, skipped: plan.skipped, more: listed.nextPageToken !== null }, 'reminder sweep page read');
      return {
        summary: `reminder sweep page ${page}: ${plan.reminders.length} reminder(s) of ${listed.appointments.length} appointment(s)`,
        primary_outputs: {
          page,
          appointments: listed.appointments.length,
          reminders: plan.reminders.length,
          channels: plan.channels,
          skipped: { ...plan.skipped, unreadable: listed.unreadable },
          windows_hours: windowsHours,
          more_pages: listed.nextPageToken !== null,
        },
        next_actions: nextActions,
        phi_touched: true,
      };
    },
  });
}

/** The tenant's windows; a stored value that breaks the rule was already dropped when the config was read. */
function reminderWindows(config: Record<string, unknown>): readonly number[] {
  const parsed = TENANT_CONFIG_KEYS.reminder_windows_hours.safeParse(config['reminder_windows_hours']);
  return parsed.success ? parsed.data : DEFAULT_REMINDER_WINDOWS_HOURS;
}
