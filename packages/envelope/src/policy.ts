import { z } from "zod";

/** ISO 4217 currency, lower case as payment processors take it. */
const Currency = z.string().regex(/^[a-z]{3}$/, "must be a lower-case ISO 4217 code such as usd");

/**
 * A tenant's ruleset (`tenants.ruleset`, the envelope's `context.tenant_ruleset_json`). Strict: a rule
 * no workflow reads is refused with its path rather than stored and silently ignored.
 */
export const TenantRuleset = z
  .object({
    /** Read by WF60_Collect_Payment: a charge above the limit or in another currency is a policy violation. */
    payments: z
      .object({
        max_amount_minor: z.number().int().min(1).max(99_999_999).optional(),
        currencies: z.array(Currency).min(1).max(20).optional(),
      })
      .strict()
      .optional(),
    /**
     * Read by WF33_Delivery_Status: what follows a text or call Twilio reports `undelivered` or `failed`.
     * `staff_task` (the default) opens a task with the reason in words; `none` records the status only.
     */
    delivery: z
      .object({
        not_reached_follow_up: z.enum(['staff_task', 'none']).optional(),
      })
      .strict()
      .optional(),
  })
  .strict();
export type TenantRuleset = z.infer<typeof TenantRuleset>;

/** Feature flags: short lower-case names to a boolean, number or short string; at most 100 of them. */
export const FeatureFlags = z
  .record(
    z.string().regex(/^[a-z][a-z0-9_.-]{0,63}$/, "flag names are lower-case letters, digits, _ . - (1-64, starting with a letter)"),
    z.union([z.boolean(), z.number().finite(), z.string().max(200)]),
  )
  .refine((flags) => Object.keys(flags).length <= 100, { message: "at most 100 flags", params: { rule: "max_keys:100" } });
export type FeatureFlags = z.infer<typeof FeatureFlags>;
