import type { Sql } from '../../client.js';

/** Marks a reminder answered (`confirmed:<MessageSid>` or `reschedule:<MessageSid>`), so later replies do not act on it again. */
export async function answerAppointmentPrompt(
  sql: Sql,
  a: { tenantId: string; appointmentId: string; answer: 'confirmed' | 'reschedule'; messageSid: string },
): Promise<void> {
  await sql`
    update appointment_prompts set answered_at = now(), answer = ${`${a.answer}:${a.messageSid}`}
     where tenant_id = ${a.tenantId} and appointment_id = ${a.appointmentId}`;
}
