import { WorkflowError } from '@revos/envelope';
import { defineWorkflow } from '@revos/runtime';
import { bookOnce } from './booking-once.js';
import type { WorkflowServices } from './services.js';
import { WF18Manifest } from '../manifests/WF18_Schedule.js';

/**
 * Books an appointment through the PMS adapter, once, and optionally asks for an SMS confirmation.
 * A slot that has passed by the time the run starts is not booked: `blocked` / `expired` (booking-once.ts).
 */
export function WF18_Schedule(services: WorkflowServices) {
  return defineWorkflow({
    ...WF18Manifest,
    async run(ctx) {
      const patientId = ctx.envelope.subject.patient_id;
      if (!patientId) {
        throw new WorkflowError('invalid_input', 'subject.patient_id is required to book', { stage: 'core_logic' });
      }
      const booking = await bookOnce(ctx, services.pms, {
        practiceId: ctx.payload.practice_id,
        patientId,
        slotStart: ctx.payload.slot_start,
        providerId: ctx.payload.provider_id,
        reason: ctx.payload.reason_code,
      });
      return {
        summary: `appointment ${booking.status}`,
        primary_outputs: booking,
        next_actions: ctx.payload.confirm_to
          ? [{ workflow: 'WF30_Send_SMS', payload: { to: ctx.payload.confirm_to, template: 'appointment_confirmation', ...(booking.appointment_id ? { appointment_id: booking.appointment_id } : {}), appointment_at: ctx.payload.slot_start } }]
          : [],
      };
    },
  });
}
