/**
 * "Once" for bookings, shared by WF17 (a booking made during a call) and WF18 (a booking submitted
 * as a run). The PMS dedupes by our Idempotency-Key (the effect's idempotency token), and a lost
 * answer is still looked up by that key first (`reconcile`), so a PMS whose dedupe window has passed
 * cannot book twice either. The effect's name, `pms.book`, is part of its journal key: never rename it.
 *
 * A slot that has passed is not booked (expiry.ts): the run ends `blocked` / `expired` with an
 * `appointment.slot_passed` event, unless an earlier attempt of this run already booked it before then.
 */
import { WorkflowError } from '@revos/envelope';
import type { RunContext } from '@revos/runtime';
import type { BookAppointmentInput, PmsAdapter } from '../adapters/index.js';
import { expiredError, hasPassed, isExpired, recordExpiry } from './expiry.js';
import { bookingAnswer, type BookingRef } from './reconcile-answers.js';

/**
 * Books `input` through the PMS once per run (the journal and the PMS's Idempotency-Key) and records
 * the appointment written. Throws `expired` (after recording why) when the slot has passed.
 */
export async function bookOnce(ctx: Pick<RunContext<unknown>, 'effect' | 'recordDataWritten'>, pms: PmsAdapter, input: BookAppointmentInput): Promise<BookingRef> {
  const findOurs = async (idempotencyToken: string, signal: AbortSignal) => bookingAnswer(await pms.findBookings(idempotencyToken, { signal }));
  const booking = await ctx
    .effect<BookingRef>(
      'pms.book',
      {
        service: 'pms_adapter',
        endpoint: 'appointment.book',
        eventType: 'appointment.booked',
        vendorDedupes: true,
        reconcile: async ({ idempotencyToken, signal }) => findOurs(idempotencyToken, signal),
      },
      async ({ signal, idempotencyToken }) => {
        if (hasPassed(input.slotStart)) {
          // An earlier attempt whose answer was lost may have booked it while it was still ahead: that booking stands.
          const earlier = await findOurs(idempotencyToken, signal);
          if (earlier.kind === 'found') return earlier.resource;
          if (earlier.kind === 'undecidable') throw new WorkflowError('effect_outcome_unknown', earlier.reason, { stage: 'core_logic', details: earlier.evidence });
          throw expiredError('slot_start', input.slotStart);
        }
        const r = await pms.bookAppointment(input, { signal, idempotencyKey: idempotencyToken });
        return { appointment_id: r.appointmentId, status: r.status };
      },
    )
    .catch(async (error: unknown) => {
      if (isExpired(error)) await recordExpiry(ctx, 'appointment.slot_passed', error);
      throw error;
    });
  // A 2xx whose body was unreadable: booked, its id unknown.
  if (booking.appointment_id) ctx.recordDataWritten('pms.appointments', booking.appointment_id);
  return booking;
}
