import { defineManifest } from '@revos/runtime';
import { z } from 'zod';

/** The processor's ceiling for one charge (999,999.99 in a two-decimal currency). */
const MAX_AMOUNT_MINOR = 99_999_999;

export const CollectPaymentPayload = z
  .object({
    /** In the currency's minor unit: 2500 is $25.00. */
    amount_minor: z.number().int('must be a whole number of minor units (cents)').min(1).max(MAX_AMOUNT_MINOR),
    currency: z.string().regex(/^[a-z]{3}$/, 'must be a lower-case ISO 4217 code such as usd'),
    /** A payment method the patient saved with the processor. Card numbers are refused before this. */
    payment_method: z.string().regex(/^pm_[A-Za-z0-9_]{1,200}$/, 'must be a saved payment method reference (pm_...), never card data'),
    customer: z.string().regex(/^cus_[A-Za-z0-9]{1,200}$/, 'must be a processor customer id (cus_...)').optional(),
    purpose: z.enum(['copay', 'balance', 'deposit', 'fee']),
    /** The practice's own reference (invoice or statement id); ids only, it goes to the processor. */
    reference: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ or - only (1-64)').optional(),
  })
  .strict();

export const WF60Manifest = defineManifest({
  name: 'WF60_Collect_Payment',
  version: '1.0.0',
  lane: 'interactive',
  channel: 'ui',
  outbound: { channel: 'payment', subject: 'patient_id' },
  usesPolicy: true,
  refusesCardData: true,
  payload: CollectPaymentPayload,
});
