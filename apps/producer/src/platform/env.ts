/**
 * The producer's configuration: every variable it (and the `revos` CLI) reads, parsed once at
 * start. A missing or bad value stops the process with the variable's name and rule. The settings
 * every fleet process shares (database, Redis, logs, traces, PHI keys, ...) come from @revos/settings.
 */
import { INTAKE_REPEAT_CACHE_MAX_TTL_MS } from '@revos/runtime';
import { booleanSetting, DEVELOPMENT_DEFAULTS, fleetRules, fleetSettings, metricsTokenSetting, optionalSetting as optional, parseSettings, refusePublicDefaults, urlSetting as url } from '@revos/settings';
import { isIP } from 'node:net';
import { z } from 'zod';

export const ProducerEnv = z.object({
  ...fleetSettings({ serviceName: 'revos-producer', dbPoolMax: 10 }),
  /** Port of the HTTP API and webhooks; 0 picks a free one (tests). */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface the HTTP server binds. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Goes to meta.environment of the envelopes webhooks build. */
  ENVIRONMENT: z.enum(['prod', 'staging']).default('staging'),
  /**
   * The externally visible base URL (scheme://host[:port], no path), used to rebuild the URL Twilio
   * signed when a proxy sits in front. Absent: the request's own Host header and protocol. Give the
   * workers the same value: their texts and calls name `{it}/webhooks/twilio/{tenant}/status` as
   * Twilio's StatusCallback (delivery receipts).
   */
  PUBLIC_BASE_URL: optional(url(['http:', 'https:'])),
  /** Shared secret of the generic JSON webhooks (X-Revos-Signature: v1=<hex HMAC-SHA256>). */
  WEBHOOK_SIGNING_SECRET: z.string().min(1, 'must not be empty').default(DEVELOPMENT_DEFAULTS.WEBHOOK_SIGNING_SECRET),
  /** A generic webhook's X-Revos-Timestamp may be this many seconds off our clock (replay window). */
  WEBHOOK_TOLERANCE_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /**
   * The secret of the Twilio SharedKey that a Webhook Rule has Twilio sign our webhooks with (those
   * carry X-Twilio-Webhooks-Signature-Settings naming the algorithm, HMAC_SHA1 or HMAC_SHA256).
   * Unset: such requests are refused (403), as they cannot be verified.
   */
  TWILIO_WEBHOOK_SHARED_KEY_SECRET: optional(z.string().min(1, 'must not be empty')),
  /** The workflow an inbound Twilio SMS starts. */
  TWILIO_SMS_WORKFLOW: z.string().min(1).default('WF31_Inbound_SMS'),
  /** The workflow each answer of a Twilio call runs (turn 1, 2, ...); the greeting runs none. */
  TWILIO_VOICE_WORKFLOW: z.string().min(1).default('WF17_RealTime_Voice_Orchestrator'),
  /**
   * Postmark's inbound and bounce webhooks authenticate with HTTP Basic auth (Postmark signs nothing):
   * each tenant's password is derived from this secret (`revos postmark-webhook-url`, docs/patients-and-staff.md).
   * Unset: the Postmark webhooks refuse every request (403).
   */
  POSTMARK_WEBHOOK_SECRET: optional(z.string().min(16, 'at least 16 characters')),
  /** The workflow an inbound email (Postmark's inbound webhook) starts. */
  POSTMARK_INBOUND_WORKFLOW: z.string().min(1).default('WF37_Inbound_Email'),
  /** The voice webhook stops waiting this long before the voice budget ends, to write the TwiML out in time. */
  VOICE_REPLY_MARGIN_MS: z.coerce.number().int().min(0).max(2_000).default(150),
  /** How often the dispatcher moves next_actions from the outbox to the queues. */
  DISPATCH_INTERVAL_MS: z.coerce.number().int().min(10).default(250),
  /** How often the reconciler re-enqueues accepted runs whose job is missing from Redis. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  /** An accepted run younger than this is left to the producer that accepted it. */
  RECONCILE_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Path to a JSON file of cron schedules; absent: no schedules. */
  CRON_SCHEDULES: optional(z.string().min(1)),
  /**
   * Keys this producer accepted (or was told were duplicates) that it remembers, so a repeat within
   * the TTL is answered `duplicate` without asking PostgreSQL; 0 turns that off. About 0.7 KB a key.
   */
  INTAKE_REPEAT_CACHE_SIZE: z.coerce.number().int().min(0, 'at least 0 (0 turns the cache off)').max(1_000_000, 'at most 1000000').default(10_000),
  /** How long a remembered key answers repeats, from PostgreSQL's answer; capped far below any retention. */
  INTAKE_REPEAT_CACHE_TTL_MS: z.coerce
    .number()
    .int()
    .min(1, 'at least 1 (turn the cache off with INTAKE_REPEAT_CACHE_SIZE=0)')
    .max(INTAKE_REPEAT_CACHE_MAX_TTL_MS, `at most ${INTAKE_REPEAT_CACHE_MAX_TTL_MS} (an hour)`)
    .default(600_000),
  // --- Operations: /admin (Bull Board, run explorer), /metrics, alerts, logs ---
  /** The operator's login name for /admin (login form or HTTP basic auth). */
  ADMIN_USER: z.string().min(1).default('admin'),
  /** The operator's password. Unset: every /admin route answers 503 "admin disabled" (never open). */
  ADMIN_PASSWORD: optional(z.string().min(8, 'at least 8 characters')),
  /** Signs the admin session cookie. Unset: derived from ADMIN_PASSWORD (development only; production requires it while admin is on). */
  ADMIN_SESSION_SECRET: optional(z.string().min(16, 'at least 16 characters')),
  /** How long an admin login lasts. */
  ADMIN_SESSION_TTL_S: z.coerce.number().int().min(60).max(7 * 86_400).default(8 * 3600),
  /** Bull Board's readOnlyMode: no retry, remove, promote or clean buttons. `false` lets operators act on jobs. */
  ADMIN_READ_ONLY: booleanSetting.default(true),
  /**
   * Proxies whose X-Forwarded-For is believed (comma-separated IPs or CIDR ranges, e.g. `10.0.0.0/8,::1`):
   * the credential throttle keys on the right-most address a trusted proxy did not add. Empty: the
   * socket's peer is the client and X-Forwarded-For is ignored (anyone can send it).
   */
  TRUSTED_PROXIES: z
    .string()
    .default('')
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter((entry) => entry !== ''))
    .refine((entries) => entries.every(isAddressOrRange), 'comma-separated IP addresses or CIDR ranges (e.g. 10.0.0.0/8,::1)'),
  /**
   * Keys (user names and client addresses) the credential throttle remembers per replica, about 150 bytes
   * each. When full it forgets keys that are not locked; a lock is never forgotten before it ends.
   */
  ADMIN_AUTH_THROTTLE_ENTRIES: z.coerce.number().int().min(100, 'at least 100').max(1_000_000, 'at most 1000000').default(10_000),
  /**
   * Bearer token for GET /metrics (Prometheus' `authorization` credentials). Unset: /metrics takes the
   * admin credentials instead (basic auth or the session), and answers 503 when admin is disabled too.
   * Production requires it.
   */
  METRICS_TOKEN: metricsTokenSetting,
  /** How often the alert checks (outbox lag, failure rate) run. */
  ALERT_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** How often a producer copies the tenants' `fair_share_weight` into Redis (a changed weight counts within this). */
  FAIR_SHARE_SYNC_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** An outbox entry pending longer than this many seconds raises an `outbox_lag` alert. */
  OUTBOX_LAG_ALERT_S: z.coerce.number().min(1).default(60),
  /** A workflow whose share of `failed` runs in the window exceeds this raises a `failure_rate` alert. */
  FAILURE_RATE_ALERT: z.coerce.number().gt(0).max(1).default(0.2),
  /** The failure-rate window (and the alert's dedupe window). */
  FAILURE_RATE_WINDOW_MS: z.coerce.number().int().min(1_000).default(600_000),
  /** Fewer finished runs than this in the window: no failure-rate verdict (noise). */
  FAILURE_RATE_MIN_RUNS: z.coerce.number().int().min(1).default(20),
  /** The login name of whoever runs the CLI: the default `--operator` of an audited (forced) replay. */
  USER: optional(z.string()),

  // --- Retention (a tenant's config may set its own `retention_days` / `dedupe_window_days`) ---
  /** Days a run (with its events, effects, outbox rows, done tasks) is kept after acceptance. */
  RETENTION_DAYS: z.coerce.number().int().min(1).max(3650).default(90),
  /** Days the ledger keeps a key, so a late duplicate is still a noop. Unset: as long as the run is kept. */
  DEDUPE_WINDOW_DAYS: optional(z.coerce.number().int().min(1).max(3650)),
  /** How often the prune pass runs; 0 turns it off (prune by hand with `revos prune`). */
  PRUNE_INTERVAL_MS: z.coerce.number().int().min(0).default(3_600_000),
  /** Runs (and ledger keys) deleted per batch; each batch is one short transaction. */
  PRUNE_BATCH_SIZE: z.coerce.number().int().min(1).max(10_000).default(1_000),
})
  .superRefine(fleetRules)
  .superRefine((env, ctx) => {
    // /metrics is always served; the session secret only matters while /admin is on (ADMIN_PASSWORD set).
    refusePublicDefaults(env, ['WEBHOOK_SIGNING_SECRET', 'METRICS_TOKEN', ...(env.ADMIN_PASSWORD !== undefined ? (['ADMIN_SESSION_SECRET'] as const) : [])], ctx);
  })
  .superRefine((env, ctx) => {
    if (env.DEDUPE_WINDOW_DAYS !== undefined && env.DEDUPE_WINDOW_DAYS < env.RETENTION_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['DEDUPE_WINDOW_DAYS'], message: 'must be at least RETENTION_DAYS (a duplicate of a run still kept must stay a noop)' });
    }
  });
export type ProducerEnv = z.infer<typeof ProducerEnv>;

/** `1.2.3.4`, `::1`, `10.0.0.0/8` or `fd00::/8`: what TRUSTED_PROXIES accepts. */
function isAddressOrRange(entry: string): boolean {
  const [address = '', bits, ...rest] = entry.split('/');
  const family = isIP(address);
  if (family === 0 || rest.length > 0) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (family === 4 ? 32 : 128);
}

/** Parses the environment once at start; a bad value stops the process naming the variable and the rule. */
export function loadProducerEnv(source: Record<string, string | undefined> = process.env): ProducerEnv {
  return parseSettings(ProducerEnv, source);
}
