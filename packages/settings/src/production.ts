/**
 * What NODE_ENV=production refuses: the public defaults a development machine runs with. They are
 * committed to this repository, so anyone can sign a webhook, read metrics or unseal PHI with them;
 * and a vendor URL left at its loopback stand-in sends a production worker's texts nowhere.
 * Each app names the settings it reads (`refusePublicDefaults`); the defaults themselves live here
 * once, and the apps' env.ts take their development defaults from this list.
 */
import type { z } from 'zod';

/** Development-only PHI keys: every developer's machine has the same ones, so they protect nothing. */
export const DEV_PHI_TOKEN_KEY = 'dev-only-phi-token-key-0123456789abcdefghijklmnopqrstuvwxyz';
export const DEV_PHI_SEAL_KEY = 'dev-only-phi-seal-key-9876543210zyxwvutsrqponmlkjihgfedcba';

/** Every setting's development default that production refuses: secrets anyone can read, and the stand-ins' addresses. */
export const DEVELOPMENT_DEFAULTS = {
  PHI_TOKEN_KEY: DEV_PHI_TOKEN_KEY,
  PHI_SEAL_KEY: DEV_PHI_SEAL_KEY,
  WEBHOOK_SIGNING_SECRET: 'local-webhook-secret',
  TWILIO_AUTH_TOKEN: 'local-standin-token',
  TWILIO_ACCOUNT_SID: 'AC_local_standin',
  TWILIO_BASE_URL: 'http://127.0.0.1:4010',
  PMS_BASE_URL: 'http://127.0.0.1:4010/pms',
  PMS_API_KEY: 'local-standin-key',
  STRIPE_BASE_URL: 'http://127.0.0.1:4011',
  STRIPE_SECRET_KEY: 'sk_test_local_standin',
} as const;

/** Settings production needs set explicitly although development runs without them (no default at all). */
const REQUIRED_IN_PRODUCTION = ['METRICS_TOKEN', 'ADMIN_SESSION_SECRET'] as const;

/** A setting production checks: one with a public development default, or one development leaves unset. */
export type ProductionSetting = keyof typeof DEVELOPMENT_DEFAULTS | (typeof REQUIRED_IN_PRODUCTION)[number];

/** Shapes production holds a setting to where the stand-in accepts anything. */
const PRODUCTION_SHAPES: Partial<Record<ProductionSetting, { pattern: RegExp; rule: string }>> = {
  TWILIO_ACCOUNT_SID: { pattern: /^AC[0-9a-fA-F]{32}$/, rule: 'must be AC followed by 32 hex digits when NODE_ENV=production' },
};

// Any development value is refused under any name: a PHI seal key pasted as the token key protects nothing either.
const PUBLIC_VALUES: ReadonlySet<string> = new Set(Object.values(DEVELOPMENT_DEFAULTS));

/**
 * The rule: when NODE_ENV=production, each of `names` must be set, differ from every development
 * default and have its production shape. Adds one issue per offending setting, so the process
 * exits naming all of them at once.
 */
export function refusePublicDefaults(env: { NODE_ENV?: string | undefined }, names: readonly ProductionSetting[], ctx: z.RefinementCtx): void {
  if (env.NODE_ENV !== 'production') return;
  const values = env as Record<string, unknown>;
  // A setting that already broke its own rule (an empty secret, a bad URL) is named once, by that rule.
  const named = new Set(ctx.issues.map((issue) => String(issue.path?.[0])));
  for (const name of names) {
    if (named.has(name)) continue;
    const value = values[name];
    const message =
      value === undefined || value === ''
        ? 'must be set when NODE_ENV=production'
        : typeof value === 'string' && PUBLIC_VALUES.has(value)
          ? 'the development default is refused when NODE_ENV=production'
          : typeof value === 'string' && PRODUCTION_SHAPES[name] && !PRODUCTION_SHAPES[name].pattern.test(value)
            ? PRODUCTION_SHAPES[name].rule
            : null;
    if (message) ctx.addIssue({ code: 'custom', path: [name], message });
  }
}
