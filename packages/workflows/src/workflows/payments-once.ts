/**
 * "Once" for payments. A lost answer (a reset, a 5xx, an unreadable 2xx) is settled in the same attempt
 * by the effect's `reconcile`, which finds the operation by the key we stored in its metadata. Within the
 * processor's idempotency window, what that lookup does not find, and a worker killed mid-call, is sent
 * again under the same key: the processor answers with the first result. Past the window it has forgotten
 * the key, so the effect no longer counts as deduped (`vendorDedupes` false): its intent is journaled, an
 * absence is proof only after the listing delay, and the request first looks the operation up here.
 */
import type { ChargeInput, ChargeResult, PaymentProvider, RefundInput, RefundResult } from '../adapters/index.js';

/** Clock skew we allow between us and the processor when judging whether its window has passed. */
const WINDOW_SKEW_MS = 5 * 60_000;

export interface OnceOptions {
  /** Same on every attempt of one operation (the effect's idempotency token). */
  idempotencyKey: string;
  /** When the trigger arrived: the first request can be no older than this. */
  triggeredAt: Date;
  signal: AbortSignal;
  now?: Date;
}

/** True when a request sent for this trigger may be older than the processor's memory of its key. */
export function beyondKeyWindow(payments: PaymentProvider, triggeredAt: Date, now: Date = new Date()): boolean {
  return now.getTime() - triggeredAt.getTime() >= payments.idempotencyWindowMs - WINDOW_SKEW_MS;
}

export async function chargeOnce(payments: PaymentProvider, input: ChargeInput, o: OnceOptions): Promise<ChargeResult> {
  if (beyondKeyWindow(payments, o.triggeredAt, o.now)) {
    const earlier = await payments.findCharge(o.idempotencyKey, { signal: o.signal });
    if (earlier) return earlier;
  }
  return payments.charge(input, { idempotencyKey: o.idempotencyKey, signal: o.signal });
}

export async function refundOnce(payments: PaymentProvider, input: RefundInput, o: OnceOptions): Promise<RefundResult> {
  if (beyondKeyWindow(payments, o.triggeredAt, o.now)) {
    const earlier = await payments.findRefund(input.paymentIntentId, o.idempotencyKey, { signal: o.signal });
    if (earlier) return earlier;
  }
  return payments.refund(input, { idempotencyKey: o.idempotencyKey, signal: o.signal });
}
