import type { Sql } from '../../client.js';

/**
 * Remembers that a reminder for `appointmentId` went to the number tokenized as `addressRef`, so a confirm reply from that
 * number can find it. A second reminder for the same appointment refreshes the prompt (and opens it
 * again if the first was answered by a reschedule request).
 */
export async function recordAppointmentPrompt(
  sql: Sql,
  p: { tenantId: string; appointmentId: string; addressRef: string; patientId: string | null; workflowRunId: string },
): Promise<void> {
  await sql`
    insert into appointment_prompts (tenant_id, appointment_id, address_ref, patient_id, workflow_run_id)
    values (${p.tenantId}, ${p.appointmentId}, ${p.addressRef}, ${p.patientId}, ${p.workflowRunId})
    on conflict (tenant_id, appointment_id) do update
      set address_ref = excluded.address_ref, patient_id = excluded.patient_id, workflow_run_id = excluded.workflow_run_id,
          sent_at = now(), answered_at = null, answer = null`;
}
