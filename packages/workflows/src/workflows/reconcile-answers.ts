/**
 * Vendor lookups turned into reconciliation answers (see `EffectSpec.reconcile`): exactly one match is
 * the effect (found), none is an absence (proof once the listing delay has passed), several cannot be
 * told apart and go to a person. Evidence holds vendor ids and counts, never numbers or text.
 */
import type { ReconcileAnswer } from '@revos/runtime';
import type { FindBookingsResult, TwilioLookupResult } from '../adapters/index.js';

/** A type, not an interface: it is returned as `primary_outputs` (a record). */
export type TwilioCreatedRef = {
  sid: string | null;
  status: string;
};

export function twilioAnswer(lookup: TwilioLookupResult): ReconcileAnswer<TwilioCreatedRef> {
  const evidence = { examined: lookup.examined, pages: lookup.pages };
  const [only, ...others] = lookup.matches;
  if (!only) return { kind: 'absent', evidence };
  if (others.length === 0) return { kind: 'found', resource: { sid: only.sid, status: only.status }, evidence: { ...evidence, sid: only.sid } };
  return {
    kind: 'undecidable',
    reason: `${lookup.matches.length} matching resources since the intent`,
    evidence: { ...evidence, sids: lookup.matches.map((m) => m.sid) },
  };
}

export type BookingRef = {
  appointment_id: string | null;
  status: string;
};

/** The PMS records our idempotency key on the booking, so a lookup by it is exact. */
export function bookingAnswer(lookup: FindBookingsResult): ReconcileAnswer<BookingRef> {
  const [only, ...others] = lookup.bookings;
  if (!only) return { kind: 'absent', evidence: { bookings: 0 } };
  if (others.length === 0) {
    return { kind: 'found', resource: { appointment_id: only.appointmentId, status: only.status }, evidence: { appointment_id: only.appointmentId } };
  }
  return { kind: 'undecidable', reason: `${lookup.bookings.length} bookings carry our key`, evidence: { appointment_ids: lookup.bookings.map((b) => b.appointmentId) } };
}

/**
 * A charge or refund looked up at Stripe by our effect token (kept in its metadata), so the lookup is
 * exact: the one it finds is ours. Within Stripe's key window an absence needs no listing delay: the
 * retry sends the same request again and Stripe answers it from its idempotency record. Past it the
 * effect is not deduped, and the runtime waits out the listing delay before it trusts an absence.
 */
export function stripeAnswer<T>(found: T | null, stripeId: (resource: T) => string): ReconcileAnswer<T> {
  if (found === null) return { kind: 'absent', evidence: { matches: 0 } };
  return { kind: 'found', resource: found, evidence: { stripe_id: stripeId(found) } };
}
