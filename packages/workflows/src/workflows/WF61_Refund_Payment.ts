import { defineWorkflow } from '@revos/runtime';
import type { PaymentProvider, RefundResult } from '../adapters/index.js';
import { beyondKeyWindow, refundOnce } from './payments-once.js';
import { stripeAnswer } from './reconcile-answers.js';
import { WF61Manifest } from '../manifests/WF61_Refund_Payment.js';

interface Refunded extends Record<string, unknown> {
  refund_id: string;
  payment_intent_id: string;
  amount_minor: number;
  currency: string;
  status: string;
}

/**
 * Refunds (part of) a charge once per trigger. Entitlement-checked like every run, but not
 * consent-gated: a refund returns a patient's money, and a revoked card authorization must not
 * hold it back. A refund the processor refuses (already refunded, more than is left) fails with a
 * staff task; outages retry.
 */
export function WF61_Refund_Payment(payments: PaymentProvider) {
  return defineWorkflow({
    ...WF61Manifest,
    async run(ctx) {
      const p = ctx.payload;
      const triggeredAt = new Date(ctx.envelope.meta.timestamp_utc);
      const now = new Date();
      const refund = await ctx.effect<Refunded>(
        'payment.refund',
        {
          service: 'stripe',
          endpoint: 'refunds.create',
          eventType: 'payment.refunded',
          // As for charges: deduped by Stripe for 24 h; past that, an absence is proof only after the listing delay.
          vendorDedupes: !beyondKeyWindow(payments, triggeredAt, now),
          // A lost answer is settled at once by listing the PaymentIntent's refunds for the one with our token.
          reconcile: async ({ signal, idempotencyToken }) =>
            stripeAnswer(await payments.findRefund(p.payment_intent_id, idempotencyToken, { signal }).then((r) => r && refunded(r)), (r) => r.refund_id),
        },
        async ({ signal, idempotencyToken }) => {
          const r = await refundOnce(
            payments,
            {
              paymentIntentId: p.payment_intent_id,
              ...(p.amount_minor === undefined ? {} : { amountMinor: p.amount_minor }),
              ...(p.reason === undefined ? {} : { reason: p.reason }),
              metadata: { tenant_id: ctx.envelope.meta.tenant_id },
            },
            { idempotencyKey: idempotencyToken, triggeredAt, signal, now },
          );
          return refunded(r);
        },
      );
      ctx.recordDataWritten('stripe.refunds', refund.refund_id);
      return { summary: `refund ${refund.status}: ${refund.amount_minor} ${refund.currency}`, phi_touched: false, primary_outputs: refund };
    },
  });
}

function refunded(r: RefundResult): Refunded {
  return { refund_id: r.refundId, payment_intent_id: r.paymentIntentId, amount_minor: r.amountMinor, currency: r.currency, status: r.status };
}
