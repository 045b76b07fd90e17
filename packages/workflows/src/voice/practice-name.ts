/**
 * Who a patient hears from: tenant config `practice_name` signs every text we compose and is spoken on
 * calls. The tenant id is an internal key and is never shown to a patient; without a usable
 * `practice_name` the wording is neutral ("your care team").
 */
import { TENANT_CONFIG_KEYS } from '@revos/envelope';

/**
 * Tenant config `practice_name`: 1–80 characters, not only spaces, no control characters (a name must
 * not break a line of a text). The tenant config schema's own rule, so what `revos tenants create`
 * accepts is exactly what is said and written.
 */
export const PracticeName = TENANT_CONFIG_KEYS.practice_name;

/** Said or written where the practice's name would stand when none is configured. */
export const NEUTRAL_PRACTICE = 'your care team';

/** The tenant's `practice_name`, or null when it is absent or breaks {@link PracticeName}'s rule. */
export function practiceName(config: Record<string, unknown>): string | null {
  const parsed = PracticeName.safeParse(config['practice_name']);
  return parsed.success ? parsed.data.trim() : null;
}

const capitalised = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/**
 * A text we composed, signed: `Sunrise Dental: <text>`, or `Your care team: <text>` without a
 * practice name. `{practice}` in the text (a tenant's own `sms_help_text`) is filled in instead, and
 * the text then goes out as written.
 */
export function signedText(text: string, config: Record<string, unknown>): string {
  const name = practiceName(config);
  if (text.includes('{practice}')) {
    const filled = text.replaceAll('{practice}', name ?? NEUTRAL_PRACTICE);
    return text.startsWith('{practice}') && name === null ? capitalised(filled) : filled;
  }
  return `${name ?? capitalised(NEUTRAL_PRACTICE)}: ${text}`;
}

/** Free text a practice wrote (a WF30 `body`): sent as written, `{practice}` filled in; never signed with the tenant id. */
export function practiceText(text: string, config: Record<string, unknown>): string {
  return text.includes('{practice}') ? text.replaceAll('{practice}', practiceName(config) ?? NEUTRAL_PRACTICE) : text;
}

/** The greeting of a new call: the practice by name when it has one. */
export function greeting(config: Record<string, unknown>): string {
  const name = practiceName(config);
  return `Thank you for calling${name ? ` ${name}` : ''}. You can book an appointment, or ask for the front desk. How can I help you?`;
}

/** The last words of a call that ends without a transfer. */
export function farewell(config: Record<string, unknown>): string {
  const name = practiceName(config);
  return `Thank you for calling${name ? ` ${name}` : ''}. Goodbye.`;
}
