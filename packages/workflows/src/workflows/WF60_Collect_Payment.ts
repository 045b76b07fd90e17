import { TenantRuleset, WorkflowError } from '@revos/envelope';
import { defineWorkflow } from '@revos/runtime';
import { z } from 'zod';
import type { PaymentProvider } from '../adapters/index.js';
import { chargeOnce } from './payments-once.js';

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

/** A charge as the event and the output keep it: ids and amounts, never card data. */
interface Collected extends Record<string, unknown> {
  payment_intent_id: string;
  amount_minor: number;
  currency: string;
  status: string;
}

/**
 * Charges a patient's saved payment method once per trigger. Outbound like a text: the patient's
 * `payment` consent (their card-on-file authorization) must be on record. A decline ends `blocked`
 * with the decline code and a staff task; processor outages retry.
 */
export function WF60_Collect_Payment(payments: PaymentProvider) {
  return defineWorkflow({
    name: 'WF60_Collect_Payment',
    version: '1.0.0',
    lane: 'interactive',
    channel: 'ui',
    outbound: { channel: 'payment', subject: 'patient_id' },
    usesPolicy: true,
    refusesCardData: true,
    payload: CollectPaymentPayload,
    async run(ctx) {
      const p = ctx.payload;
      checkPaymentRules(ctx.policy.ruleset, p.amount_minor, p.currency);
      const charge = await ctx.effect<Collected>(
        'payment.charge',
        {
          service: 'stripe',
          endpoint: 'payment_intents.create',
          eventType: 'payment.collected',
          // Stripe answers a repeated key with the first charge; past its window chargeOnce looks it up.
          vendorDedupes: true,
        },
        async ({ signal, idempotencyToken }) => {
          const r = await chargeOnce(
            payments,
            {
              amountMinor: p.amount_minor,
              currency: p.currency,
              paymentMethod: p.payment_method,
              ...(p.customer === undefined ? {} : { customer: p.customer }),
              // Ids only: the processor's dashboard shows metadata to everyone with access.
              metadata: { tenant_id: ctx.envelope.meta.tenant_id, purpose: p.purpose, ...(p.reference ? { reference: p.reference } : {}) },
            },
            { idempotencyKey: idempotencyToken, triggeredAt: new Date(ctx.envelope.meta.timestamp_utc), signal },
          );
          return { payment_intent_id: r.paymentIntentId, amount_minor: r.amountMinor, currency: r.currency, status: r.status };
        },
      );
      ctx.recordDataWritten('stripe.payment_intents', charge.payment_intent_id);
      return {
        summary: `payment ${charge.status}: ${charge.amount_minor} ${charge.currency}`,
        primary_outputs: { ...charge, purpose: p.purpose },
      };
    },
  });
}

/** The tenant's payment rules (ruleset `payments`), as a policy the run must not break. */
function checkPaymentRules(ruleset: Record<string, unknown>, amountMinor: number, currency: string): void {
  const parsed = TenantRuleset.safeParse(ruleset);
  // A ruleset stored before validation existed and now invalid: refuse rather than guess its limits.
  if (!parsed.success) throw new WorkflowError('config_missing', 'the tenant ruleset does not pass validation; fix it with Change_Policy');
  const rules = parsed.data.payments;
  if (!rules) return;
  if (rules.max_amount_minor !== undefined && amountMinor > rules.max_amount_minor) {
    throw new WorkflowError('policy_violation', `payload.amount_minor: above the tenant's limit of ${rules.max_amount_minor}`, {
      details: { rule: 'payments.max_amount_minor', limit: rules.max_amount_minor },
    });
  }
  if (rules.currencies !== undefined && !rules.currencies.includes(currency)) {
    throw new WorkflowError('policy_violation', `payload.currency: ${currency} is not one of the tenant's currencies`, {
      details: { rule: 'payments.currencies' },
    });
  }
}
