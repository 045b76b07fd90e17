/**
 * The worker's configuration: every variable it reads, parsed once at start. A missing or bad value
 * stops the process with the variable's name and rule. The settings every fleet process shares
 * (database, Redis, logs, traces, PHI keys, ...) come from @revos/settings.
 */
import { hostname, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DEVELOPMENT_DEFAULTS, fleetRules, fleetSettings, metricsTokenSetting, optionalSetting as optional, parseSettings, refusePublicDefaults, urlSetting as url } from '@revos/settings';
import { z } from 'zod';

const lanes = z
  .string()
  .transform((s) => s.split(',').map((l) => l.trim()).filter(Boolean))
  .pipe(z.array(z.enum(['realtime', 'interactive', 'batch'])).min(1, 'name at least one lane'));

export const WorkerEnv = z.object({
  ...fleetSettings({ serviceName: 'revos-worker', dbPoolMax: 20 }),
  /** Lanes this replica serves, comma-separated: realtime,interactive,batch. */
  WORKER_LANES: lanes.default(['realtime', 'interactive', 'batch']),
  /**
   * Lanes whose final outputs are published for request–reply callers (the voice webhook waits on
   * realtime runs). Each published output is kept in Redis for two minutes: keep busy lanes out.
   */
  REPLY_LANES: lanes.default(['realtime']),
  /** Jobs run at once per lane in this process. */
  CONCURRENCY_REALTIME: z.coerce.number().int().min(1).max(1000).default(16),
  CONCURRENCY_INTERACTIVE: z.coerce.number().int().min(1).max(1000).default(32),
  CONCURRENCY_BATCH: z.coerce.number().int().min(1).max(1000).default(4),
  /** Port of GET /healthz (open, for probes) and GET /metrics (Prometheus, behind METRICS_TOKEN when set); 0 turns it off. */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  /** Bearer token GET /metrics on HEALTH_PORT asks for. Unset: /metrics is open (development only; production requires it). */
  METRICS_TOKEN: metricsTokenSetting,
  /** On SIGTERM/SIGINT, how long in-flight runs may finish before they are aborted. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(20_000),
  /** How long a tenant's entitlements are cached in this process. */
  TENANT_CACHE_MS: z.coerce.number().int().min(0).default(5_000),
  /** A repeated latency breach: this many breaches of one workflow for one tenant ... */
  BREACH_ALERT_COUNT: z.coerce.number().int().min(1).default(3),
  /** ... within this window, writes an alert. */
  BREACH_ALERT_WINDOW_MS: z.coerce.number().int().min(1_000).default(300_000),
  /** Names this process in the ledger's lock owner column. */
  WORKER_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  /** Twilio (or a compatible stand-in) for SMS and voice. */
  TWILIO_BASE_URL: url(['http:', 'https:']).default(DEVELOPMENT_DEFAULTS.TWILIO_BASE_URL),
  /** The Twilio account (`AC` + 32 hex digits in production). */
  TWILIO_ACCOUNT_SID: z.string().min(1, 'must not be empty').default(DEVELOPMENT_DEFAULTS.TWILIO_ACCOUNT_SID),
  /** The practice management system's JSON API. */
  PMS_BASE_URL: url(['http:', 'https:']).default(DEVELOPMENT_DEFAULTS.PMS_BASE_URL),
  /** The PMS API's key. */
  PMS_API_KEY: z.string().min(1, 'must not be empty').default(DEVELOPMENT_DEFAULTS.PMS_API_KEY),
  /** Stripe (or a compatible stand-in) for WF60_Collect_Payment and WF61_Refund_Payment. */
  STRIPE_BASE_URL: url(['http:', 'https:']).default(DEVELOPMENT_DEFAULTS.STRIPE_BASE_URL),
  /** Secret or restricted key (`sk_…`/`rk_…`; a restricted key needs PaymentIntents and Refunds write). */
  STRIPE_SECRET_KEY: z.string().min(1, 'must not be empty').default(DEVELOPMENT_DEFAULTS.STRIPE_SECRET_KEY),
  /**
   * The producer's public base URL (the same value as the producer's PUBLIC_BASE_URL). Set: every text
   * and call names `{PUBLIC_BASE_URL}/webhooks/twilio/{tenant}/status` as its StatusCallback, so
   * Twilio reports delivery. Unset: no StatusCallback is sent and no delivery status is ever known.
   */
  PUBLIC_BASE_URL: optional(url(['http:', 'https:'])),
  /** Postmark's API (or a compatible stand-in) for email (WF36, WF37). */
  POSTMARK_BASE_URL: url(['http:', 'https:']).default('https://api.postmarkapp.com'),
  /** The Postmark server's API token. Set: email goes through Postmark. Unset (and no SMTP_URL): the worker serves no email workflow. */
  POSTMARK_SERVER_TOKEN: optional(z.string().min(1, 'must not be empty')),
  /** The Postmark message stream emails go out on (`outbound`, the transactional stream, by default). */
  POSTMARK_MESSAGE_STREAM: z.string().min(1, 'must not be empty').default('outbound'),
  /**
   * A plain SMTP relay for practices that have one, `smtp://user:pass@host:587` or `smtps://…:465`;
   * the second email transport. A relay cannot be asked what it accepted: an email whose outcome is
   * unknown goes to a person. Not together with POSTMARK_SERVER_TOKEN.
   */
  SMTP_URL: optional(z.string().regex(/^smtps?:\/\/[^\s]+$/, 'must be an smtp:// or smtps:// URL')),
  /** Per-call vendor timeout. */
  VENDOR_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * How long after a vendor call its lookup is trusted to list what the call created. A call whose
   * answer was lost is looked up; an absence seen sooner is not proof, so the run asks again after it.
   */
  RECONCILE_LISTING_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
  /**
   * Directory WF54_Dataset_Curation writes JSONL exports under (`<dir>/<tenant_id>/...`); a relative
   * path is taken from the working directory. Exports of phi_minimized runs are redacted, standard
   * runs are as stored: keep the directory as private as the database.
   */
  EXPORT_DIR: z
    .string()
    .min(1)
    .default(join(tmpdir(), 'revos-exports'))
    .transform((dir) => (isAbsolute(dir) ? dir : resolve(dir))),
})
  .superRefine(fleetRules)
  .superRefine((env, ctx) => {
    if (env.POSTMARK_SERVER_TOKEN && env.SMTP_URL) ctx.addIssue({ code: 'custom', path: ['SMTP_URL'], message: 'set either POSTMARK_SERVER_TOKEN or SMTP_URL, not both (one email transport)' });
  })
  .superRefine((env, ctx) => {
    // The vendors' credentials and addresses; /metrics only where it is served.
    refusePublicDefaults(env, ['TWILIO_ACCOUNT_SID', 'TWILIO_BASE_URL', 'PMS_BASE_URL', 'PMS_API_KEY', 'STRIPE_BASE_URL', 'STRIPE_SECRET_KEY', ...(env.HEALTH_PORT > 0 ? (['METRICS_TOKEN'] as const) : [])], ctx);
  });
export type WorkerEnv = z.infer<typeof WorkerEnv>;

/** Parses the environment once at start; a bad value stops the process naming the variable and the rule. */
export function loadWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  return parseSettings(WorkerEnv, source);
}
