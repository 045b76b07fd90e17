import { TenantRuleset, WorkflowError } from '@revos/envelope';
import { defineWorkflow } from '@revos/runtime';
import type { ChargeResult, PaymentProvider } from '../adapters/index.js';
import { beyondKeyWindow, chargeOnce } from './payments-once.js';
import { stripeAnswer } from './reconcile-answers.js';
import { WF60Manifest } from '../manifests/WF60_Collect_Payment.js';

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
    ...WF60Manifest,
    async run(ctx) {
      const p = ctx.payload;
      checkPaymentRules(ctx.policy.ruleset, p.amount_minor, p.currency);
      const triggeredAt = new Date(ctx.envelope.meta.timestamp_utc);
      const now = new Date();
      const charge = await ctx.effect<Collected>(
        'payment.charge',
        {
          service: 'stripe',
          endpoint: 'payment_intents.create',
          eventType: 'payment.collected',
          // Stripe answers a repeated key with the first charge, for 24 h. Past that it may have forgotten
          // the key: the intent is journaled, and a charge the search does not list is proof of absence
          // only after the listing delay (its search lags new charges), so a lag never becomes a second charge.
          vendorDedupes: !beyondKeyWindow(payments, triggeredAt, now),
          // A lost answer is settled at once by finding the PaymentIntent that carries our token: no
          // second POST, and no reliance on Stripe still holding the key.
          reconcile: async ({ signal, idempotencyToken }) =>
            stripeAnswer(await payments.findCharge(idempotencyToken, { signal }).then((r) => r && collected(r)), (c) => c.payment_intent_id),
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
            { idempotencyKey: idempotencyToken, triggeredAt, signal, now },
          );
          return collected(r);
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

function collected(r: ChargeResult): Collected {
  return { payment_intent_id: r.paymentIntentId, amount_minor: r.amountMinor, currency: r.currency, status: r.status };
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
