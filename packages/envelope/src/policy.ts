import { z } from "zod";

/** ISO 4217 currency, lower case as payment processors take it. */
const Currency = z.string().regex(/^[a-z]{3}$/, "must be a lower-case ISO 4217 code such as usd");

/** A wall-clock time of day, 24-hour `HH:MM`. */
const TimeOfDay = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, "must be a time of day HH:MM (24-hour), such as 08:00");

/** The message classes a text may be (WF30's `message_class`, or its template's). */
export const MessageClass = z.enum(['reminder', 'campaign', 'transactional']);
export type MessageClass = z.infer<typeof MessageClass>;

/** The hours texts may reach a patient, and which texts that binds. */
export const QuietHoursRule = z
  .object({
    /** Start of the allowed window, in the recipient's time zone (the TCPA's is 08:00). */
    allowed_from: TimeOfDay,
    /** End of the allowed window, exclusive (the TCPA's is 21:00); before allowed_from: the window spans midnight. */
    allowed_until: TimeOfDay,
    /** Classes held outside the window. Absent: reminder and campaign (transactional texts answer something the patient did). */
    classes: z.array(MessageClass).min(1, "must name at least one class").optional(),
    /** A reply within this many minutes of the patient's own text is exempt. Absent: 15. */
    reply_window_minutes: z.number().int("must be a whole number of minutes").min(0, "must be at least 0").max(240, "must be at most 240").optional(),
  })
  .strict()
  .refine((q) => q.allowed_from !== q.allowed_until, { message: "allowed_from and allowed_until must differ", path: ['allowed_until'], params: { rule: "window_not_empty" } });
export type QuietHoursRule = z.infer<typeof QuietHoursRule>;

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
    /**
     * Read by WF30_Send_SMS: texts of the covered classes are not sent to a patient outside
     * [allowed_from, allowed_until) in the patient's time zone; they wait until the window opens.
     * Absent: no quiet hours (see docs/patients-and-staff.md for why, and the TCPA window to set).
     */
    quiet_hours: QuietHoursRule.optional(),
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
