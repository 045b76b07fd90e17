import type { Sql } from '../../client.js';

export interface AppointmentPrompt {
  appointmentId: string;
  patientId: string | null;
  /** The reminder run that asked. */
  workflowRunId: string;
  answer: string | null;
}

/**
 * The appointment a reply from the number tokenized as `addressRef` answers: the latest reminder to that number within
 * `maxAgeHours`, unanswered or answered by the very message being handled (`messageSid`), so a
 * retried run finds the same appointment it confirmed the first time.
 */
export async function findOpenAppointmentPrompt(
  sql: Sql,
  q: { tenantId: string; addressRef: string; maxAgeHours: number; messageSid: string },
): Promise<AppointmentPrompt | null> {
  const [row] = await sql<{ appointment_id: string; patient_id: string | null; workflow_run_id: string; answer: string | null }[]>`
    select appointment_id, patient_id, workflow_run_id, answer from appointment_prompts
     where tenant_id = ${q.tenantId} and address_ref = ${q.addressRef}
       and sent_at > now() - make_interval(hours => ${q.maxAgeHours})
       and (answered_at is null or answer in (${`confirmed:${q.messageSid}`}, ${`reschedule:${q.messageSid}`}))
     order by sent_at desc
     limit 1`;
  return row ? { appointmentId: row.appointment_id, patientId: row.patient_id, workflowRunId: row.workflow_run_id, answer: row.answer } : null;
}
