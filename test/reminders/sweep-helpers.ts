/**
 * The reminder sweep's suites: start a sweep as the cron producer does (the same envelope, through
 * intake), play the producer's dispatcher loop, and wait until every run the sweep caused has ended.
 */
import { setConsent } from '@revos/db';
import { acceptSubmission, cronEnvelope, CronSchedules, dispatchPending, type CronSchedule } from '@revos/runtime';
import type { ScheduledAppointmentRecord } from '../support/vendor-standin.js';
import { sleep, TENANT, type Harness } from '../support/harness.js';

const HOUR_MS = 3_600_000;

/** The README's schedule, sweeping every quarter hour. */
export function reminderSchedule(id: string, payload: Record<string, unknown> = {}): CronSchedule {
  return CronSchedules.parse([{ id, tenant_id: TENANT, workflow: 'WF32_Appointment_Reminders', pattern: '*/15 * * * *', tz: 'America/New_York', payload }])[0]!;
}

/** One cron firing of `schedule` at `slot`, through intake as the cron producer submits it. */
export async function fireSweep(h: Harness, schedule: CronSchedule, slot: Date): Promise<{ workflow_run_id: string; status: string }> {
  const outcome = await acceptSubmission(h, cronEnvelope(schedule, slot), TENANT, { source: 'cron' });
  if (!outcome.ok) throw new Error(`sweep refused: ${JSON.stringify(outcome.refusal)}`);
  return outcome.result;
}

/** An appointment `hoursAhead` from now, of patient `p_<id>` at `phone`, booked unless said otherwise. */
export function appointment(id: string, hoursAhead: number, phone: string | null, over: Partial<ScheduledAppointmentRecord> = {}): ScheduledAppointmentRecord {
  return { appointment_id: id, patient_id: `p_${id}`, patient_phone: phone, start: new Date(Date.now() + hoursAhead * HOUR_MS).toISOString(), status: 'booked', provider_id: 'prov_1', practice_id: 'prac_test', ...over };
}

/** Every patient in `patientIds` consents to texts (in one statement: the 10,000 case seeds them all). */
export async function allowSmsAll(h: Harness, patientIds: string[]): Promise<void> {
  if (patientIds.length === 1) return setConsent(h.db.sql, { tenantId: TENANT, subjectId: patientIds[0]!, channel: 'sms', status: 'allow', source: 'test' });
  await h.db.sql`
    insert into consents (tenant_id, subject_id, channel, status, source)
    select ${TENANT}, id, 'sms', 'allow', 'test' from unnest(${patientIds}::text[]) as id
    on conflict (tenant_id, subject_id, channel) do update set status = 'allow'`;
}

/**
 * Plays the producer's dispatcher loop and waits until no run is unfinished and no follow-up is
 * pending (twice in a row: a finishing run may still be writing its follow-ups).
 */
export async function settle(h: Harness, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let quiet = 0;
  while (Date.now() < deadline) {
    while ((await dispatchPending({ ...h, log: h.deps.log }, { limit: 200 })).length === 200);
    const [row] = await h.db.sql<{ open: number; pending: number }[]>`
      select (select count(*)::int from workflow_runs where status not in ('ok', 'noop', 'failed', 'blocked')) as open,
             (select count(*)::int from outbox where state = 'pending') as pending`;
    quiet = row!.open === 0 && row!.pending === 0 ? quiet + 1 : 0;
    if (quiet >= 2) return;
    await sleep(100);
  }
  throw new Error(`the sweep's runs did not settle in ${timeoutMs} ms`);
}

/** Texts the stand-in created, counted by destination. */
export function textsByNumber(h: Harness): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of h.vendor.resources) if (r.kind === 'message') counts.set(String(r.fields['to']), (counts.get(String(r.fields['to'])) ?? 0) + 1);
  return counts;
}
