import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

export const RefundPaymentPayload = z
  .object({
    payment_intent_id: z.string().regex(/^pi_[A-Za-z0-9_]{1,200}$/, 'must be a PaymentIntent id (pi_...)'),
    /** Omitted: refund whatever is left of the charge. */
    amount_minor: z.number().int('must be a whole number of minor units (cents)').min(1).max(99_999_999).optional(),
    reason: z.enum(['duplicate', 'fraudulent', 'requested_by_customer']).optional(),
  })
  .strict();

export const WF61Manifest = defineManifest({
  name: 'WF61_Refund_Payment',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'ui',
  refusesCardData: true,
  payload: RefundPaymentPayload,
});
