/**
 * "Once" for bookings, shared by WF17 (a booking made during a call) and WF18 (a booking submitted
 * as a run). The PMS dedupes by our Idempotency-Key (the effect's idempotency token), and a lost
 * answer is still looked up by that key first (`reconcile`), so a PMS whose dedupe window has passed
 * cannot book twice either. The effect's name, `pms.book`, is part of its journal key: never rename it.
 */
import type { RunContext } from '@revos/runtime';
import type { BookAppointmentInput, PmsAdapter } from '../adapters/index.js';
import { bookingAnswer, type BookingRef } from './reconcile-answers.js';

/** Books `input` through the PMS once per run (the journal and the PMS's Idempotency-Key) and records the appointment written. */
export async function bookOnce(ctx: Pick<RunContext<unknown>, 'effect' | 'recordDataWritten'>, pms: PmsAdapter, input: BookAppointmentInput): Promise<BookingRef> {
  const booking = await ctx.effect<BookingRef>(
    'pms.book',
    {
      service: 'pms_adapter',
      endpoint: 'appointment.book',
      eventType: 'appointment.booked',
      vendorDedupes: true,
      reconcile: async ({ idempotencyToken, signal }) => bookingAnswer(await pms.findBookings(idempotencyToken, { signal })),
    },
    ({ signal, idempotencyToken }) =>
      pms.bookAppointment(input, { signal, idempotencyKey: idempotencyToken }).then((r) => ({ appointment_id: r.appointmentId, status: r.status })),
  );
  // A 2xx whose body was unreadable: booked, its id unknown.
  if (booking.appointment_id) ctx.recordDataWritten('pms.appointments', booking.appointment_id);
  return booking;
}
