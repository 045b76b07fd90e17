import { z } from "zod";
import { PhoneAddress } from "./consent.js";
import { EmailAddress } from "./email-address.js";
import { type FieldIssue } from "./issues.js";
import { PrivacyMode } from "./schemas.js";
import { toFieldIssues } from "./validation.js";

/**
 * A tenant's config (`tenants.config`): the per-practice settings the workflows, the runtime and the
 * producer read. One schema, checked where a config is written (`revos tenants create --config`)
 * and key by key where a stored one is read (a row written before the schema, or by hand): a bad
 * key is dropped with a warning naming it, and a bad `privacy_mode` reads as `phi_minimized`.
 * Never secrets: the config is shown to operators and copied into logs' context.
 */

/** Days a retention setting may hold: at least a day, at most ten years (a typo such as 36500 is refused). */
export const RetentionDays = z
  .number({ error: "must be a whole number of days" })
  .int("must be a whole number of days")
  .min(1, "must be at least 1 day")
  .max(3650, "must be at most 3650 days");

/** An IANA time zone this runtime knows (`America/New_York`). */
const TimeZone = z.string().refine((zone) => {
  try {
    new Intl.DateTimeFormat("en-US", { timeZone: zone });
    return zone !== "";
  } catch {
    return false;
  }
}, "must be an IANA time zone such as America/New_York");

const HttpUrl = z.string().refine((value) => {
  try {
    return ["http:", "https:"].includes(new URL(value).protocol);
  } catch {
    return false;
  }
}, "must be an http(s):// URL");

/** Every key a tenant config may hold, with its rule; who reads it is in docs/configuration.md. */
export const TENANT_CONFIG_KEYS = {
  /** The practice's sending number (WF30, WF21, WF31). */
  sms_from: PhoneAddress,
  /** Where escalations page staff (WF21). */
  staff_alert_phone: PhoneAddress,
  /** The caller id of the fallback call (WF71). */
  voice_from: PhoneAddress,
  /** The number callers are transferred to (voice webhook, WF17, WF71); `front_desk_phone` is its older name. */
  front_desk_number: PhoneAddress,
  front_desk_phone: PhoneAddress,
  /** TwiML the fallback call plays (WF71). */
  fallback_twiml_url: HttpUrl,
  /** The name texts are signed with and calls speak (workflows' voice/practice-name.ts, the same rule). */
  practice_name: z
    .string()
    .min(1, "must not be empty")
    .max(80, "at most 80 characters")
    .regex(/^[^\p{Cc}]*$/u, "no control characters")
    .refine((name) => name.trim() !== "", "not only spaces"),
  /** The PMS practice voice bookings go to (WF17). */
  practice_id: z.string().min(1, "must not be empty").max(200, "at most 200 characters"),
  /** The zone spoken times are read and said in (WF17); a text's quiet hours when the patient's own zone is unknown (WF30). */
  timezone: TimeZone,
  /**
   * Texts a second each sending number (E.164, or a 5-6 digit short code) or messaging service (`MG…`)
   * may be handed to the vendor, across every worker (WF30's pacing). A sender not named here gets its
   * number type's default ({@link defaultSmsMps}).
   */
  sms_mps: z
    .record(
      z.string().regex(/^(\+[1-9]\d{6,14}|\d{5,6}|MG[0-9a-fA-F]{32})$/, "each key must be an E.164 number, a 5-6 digit short code or a messaging service sid (MG…)"),
      z.number({ error: "each rate must be a number of messages a second" }).positive("each rate must be above 0").max(10_000, "each rate must be at most 10000"),
      { error: "must be an object of sender to messages a second, such as {\"+15550001111\": 1}" },
    )
    .refine((rates) => Object.keys(rates).length <= 100, { message: "at most 100 senders", params: { rule: "max_keys:100" } }),
  /** Below this speech confidence the caller is asked again (WF17). */
  voice_min_confidence: z.number({ error: "must be a number from 0 to 1" }).min(0, "must be at least 0").max(1, "must be at most 1"),
  /** The caller's wait per turn (voice webhook, the runtime's latency budget of voice runs). */
  voice_budget_ms: z.number({ error: "must be a whole number of milliseconds" }).int("must be a whole number of milliseconds").min(100, "must be at least 100").max(60_000, "must be at most 60000"),
  /** Minutes until WF42 checks an escalation again (WF21). */
  escalation_follow_up_minutes: z.number({ error: "must be a whole number of minutes" }).int("must be a whole number of minutes").min(1, "must be at least 1").max(10_080, "must be at most 10080 (a week)"),
  /** The privacy mode of runs built from the tenant's inbound webhooks. */
  privacy_mode: PrivacyMode,
  /** The answer to HELP / INFO (WF31), sent as written; `{practice}` is replaced by `practice_name`. */
  sms_help_text: z.string().min(1, "must not be empty").max(1600, "at most 1600 characters (one Twilio message)"),
  /** The practice's sending address (WF36, WF37): a Postmark sender signature or the relay's domain; shown with `practice_name`. */
  email_from: EmailAddress,
  /** Where patients' replies go (WF36); absent: to `email_from`, whose inbound route starts WF37. */
  email_reply_to: EmailAddress,
  /**
   * How many hours before an appointment its reminders go out (WF32_Appointment_Reminders): one text per
   * window, at the first sweep inside it. Absent: {@link DEFAULT_REMINDER_WINDOWS_HOURS}.
   */
  reminder_windows_hours: z
    .array(z.number({ error: "each must be a whole number of hours" }).int("each must be a whole number of hours").min(1, "each must be at least 1 hour").max(336, "each must be at most 336 hours (two weeks)"), { error: "must be a list of whole hours such as [48, 2]" })
    .min(1, "must name at least one window")
    .max(4, "at most 4 windows")
    .refine((hours) => new Set(hours).size === hours.length, "no window twice"),
  /** Days a run and its records are kept (prune). */
  retention_days: RetentionDays,
  /** Days the ledger keeps a key (prune); at least retention_days. */
  dedupe_window_days: RetentionDays,
  /**
   * The practice's share of each lane when several practices have work waiting (the runtime's fair
   * share): a tenant of weight 2 gets two runs for every one of a tenant of weight 1. Absent: 1.
   */
  fair_share_weight: z
    .number({ error: "must be a whole number from 1 to 100" })
    .int("must be a whole number from 1 to 100")
    .min(1, "must be at least 1")
    .max(100, "must be at most 100"),
} as const;

export type TenantConfigKey = keyof typeof TENANT_CONFIG_KEYS;

/**
 * A sender's rate when `sms_mps` names none, by number type, from Twilio's published figures
 * (docs/patients-and-staff.md cites them): a US/Canada long code 1 message a second, a toll-free
 * number 3, a short code 100. A 10DLC number's rate depends on its campaign's registration and is
 * not visible from the number: it is a long code here (1) until `sms_mps` says what the campaign got.
 */
export function defaultSmsMps(sender: string): number {
  if (/^\d{5,6}$/.test(sender)) return 100;
  if (/^\+1(800|833|844|855|866|877|888)\d{7}$/.test(sender)) return 3;
  return 1;
}

/** The reminder windows of a tenant that sets none: two days before, and two hours before. */
export const DEFAULT_REMINDER_WINDOWS_HOURS: readonly number[] = [48, 2];

/** A dedupe window shorter than the runs would let a duplicate of a run still on record run again. */
function dedupeCoversRetention(value: { retention_days?: number | undefined; dedupe_window_days?: number | undefined }, ctx: z.RefinementCtx): void {
  if (value.retention_days !== undefined && value.dedupe_window_days !== undefined && value.dedupe_window_days < value.retention_days) {
    ctx.addIssue({ code: "custom", path: ["dedupe_window_days"], message: "must be at least retention_days (a duplicate of a run still kept must stay a noop)", params: { rule: "at_least_retention_days" } });
  }
}

/**
 * A reminder's key must outlive its window: a dedupe window shorter than the widest reminder window
 * would let a later sweep inside that window send the reminder again once prune forgot the key.
 */
function dedupeCoversReminders(value: { dedupe_window_days?: number | undefined; reminder_windows_hours?: readonly number[] | undefined }, ctx: z.RefinementCtx): void {
  const widest = value.reminder_windows_hours === undefined ? undefined : Math.max(...value.reminder_windows_hours);
  if (widest !== undefined && value.dedupe_window_days !== undefined && value.dedupe_window_days * 24 < widest) {
    ctx.addIssue({ code: "custom", path: ["reminder_windows_hours"], message: "the widest window must fit in dedupe_window_days (a reminder's key must be kept until its window has passed)", params: { rule: "within_dedupe_window" } });
  }
}

const optionalKeys = Object.fromEntries(Object.entries(TENANT_CONFIG_KEYS).map(([key, schema]) => [key, schema.optional()])) as {
  [K in TenantConfigKey]: z.ZodOptional<(typeof TENANT_CONFIG_KEYS)[K]>;
};

/** The whole config as written: every key optional, unknown keys refused. */
export const TenantConfig = z.strictObject(optionalKeys).superRefine(dedupeCoversRetention).superRefine(dedupeCoversReminders);
export type TenantConfig = z.infer<typeof TenantConfig>;

/**
 * Checks a config about to be written. `ownKeys`: keys a deployment's own workflows declare they
 * read (their `requiresConfig`), accepted as they are beside the schema's; any other unknown key is
 * refused, so a typo (`privacy-mode`) cannot silently leave a setting at its default.
 * Issues are `config.<key>` with the rule; messages never echo the value.
 */
export function checkTenantConfig(input: unknown, ownKeys: readonly string[] = []): { ok: true; value: Record<string, unknown> } | { ok: false; issues: FieldIssue[] } {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ path: "config", rule: "type:object", message: "must be a JSON object" }] };
  }
  const own = new Set(ownKeys.filter((key) => !(key in TENANT_CONFIG_KEYS)));
  const entries = Object.entries(input as Record<string, unknown>);
  const checked = Object.fromEntries(entries.filter(([key]) => !own.has(key)));
  const result = TenantConfig.safeParse(checked);
  if (!result.success) {
    return { ok: false, issues: toFieldIssues(result.error, checked).map((issue) => ({ ...issue, path: issue.path ? `config.${issue.path}` : "config" })) };
  }
  return { ok: true, value: input as Record<string, unknown> };
}

/** A stored config as the runtime may use it: bad keys dropped (and named), `privacy_mode` failed closed. */
export interface StoredTenantConfig {
  config: Record<string, unknown>;
  /** Keys whose stored value broke their rule; log them (never their values). */
  invalidKeys: TenantConfigKey[];
}

/**
 * Reads a stored config key by key. A key that breaks its rule is dropped, so a reader sees it as
 * unset (a required one ends the run `config_missing` instead of texting from a malformed number),
 * except `privacy_mode`, which reads as `phi_minimized`: never store PHI raw by mistake. Keys the
 * schema does not know are kept (a deployment's own workflows may read them). The cross-key rule
 * (dedupe_window_days ≥ retention_days) is prune's to enforce: it skips such a tenant.
 */
export function readStoredTenantConfig(stored: Record<string, unknown>): StoredTenantConfig {
  const config: Record<string, unknown> = { ...stored };
  const invalidKeys: TenantConfigKey[] = [];
  for (const key of Object.keys(TENANT_CONFIG_KEYS) as TenantConfigKey[]) {
    const value = stored[key];
    if (value === undefined || value === null || TENANT_CONFIG_KEYS[key].safeParse(value).success) continue;
    invalidKeys.push(key);
    if (key === "privacy_mode") config[key] = "phi_minimized";
    else delete config[key];
  }
  return { config, invalidKeys };
}

/**
 * The tenant's default privacy mode, failing closed: unset is `standard`; anything but the two modes
 * is `phi_minimized` (and `invalid` says so, for a warning naming `config.privacy_mode`). Every
 * reader of `privacy_mode` goes through this.
 */
export function tenantConfigPrivacyMode(config: Record<string, unknown>): { mode: PrivacyMode; invalid: boolean } {
  const configured = config.privacy_mode;
  if (configured === undefined || configured === null) return { mode: "standard", invalid: false };
  const parsed = PrivacyMode.safeParse(configured);
  return parsed.success ? { mode: parsed.data, invalid: false } : { mode: "phi_minimized", invalid: true };
}
