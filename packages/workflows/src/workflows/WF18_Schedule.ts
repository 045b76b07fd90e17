import { WorkflowError } from '@revos/envelope';
import { defineWorkflow } from '@revos/runtime';
import { bookingAnswer, type BookingRef } from './reconcile-answers.js';
import type { WorkflowServices } from './services.js';
import { WF18Manifest } from '../manifests/WF18_Schedule.js';

/** Books an appointment through the PMS adapter, once, and optionally asks for an SMS confirmation. */
export function WF18_Schedule(services: WorkflowServices) {
  return defineWorkflow({
    ...WF18Manifest,
    async run(ctx) {
      const patientId = ctx.envelope.subject.patient_id;
      if (!patientId) {
        throw new WorkflowError('invalid_input', 'subject.patient_id is required to book', { stage: 'core_logic' });
      }
      const booking = await ctx.effect<BookingRef>(
        'pms.book',
        {
          service: 'pms_adapter',
          endpoint: 'appointment.book',
          eventType: 'appointment.booked',
          // The PMS dedupes by our Idempotency-Key; a lost answer is still looked up first, so a PMS
          // whose dedupe window has passed cannot book twice either.
          vendorDedupes: true,
          reconcile: async ({ idempotencyToken, signal }) => bookingAnswer(await services.pms.findBookings(idempotencyToken, { signal })),
        },
        ({ signal, idempotencyToken }) =>
          services.pms.bookAppointment(
            {
              practiceId: ctx.payload.practice_id,
              patientId,
              slotStart: ctx.payload.slot_start,
              providerId: ctx.payload.provider_id,
              reason: ctx.payload.reason_code,
            },
            { signal, idempotencyKey: idempotencyToken },
          ).then((r) => ({ appointment_id: r.appointmentId, status: r.status })),
      );
      if (booking.appointment_id) ctx.recordDataWritten('pms.appointments', booking.appointment_id);
      return {
        summary: `appointment ${booking.status}`,
        primary_outputs: booking,
        next_actions: ctx.payload.confirm_to
          ? [{ workflow: 'WF30_Send_SMS', payload: { to: ctx.payload.confirm_to, template: 'appointment_confirmation', appointment_id: booking.appointment_id } }]
          : [],
      };
    },
  });
}
