/**
 * The producer's configuration: every variable it (and the `revos` CLI) reads, parsed once at
 * start. A missing or bad value stops the process with the variable's name and rule.
 */
import { DEV_PHI_SEAL_KEY, DEV_PHI_TOKEN_KEY, parseSettings, previousSealKeysSetting, redisClusterNodesSetting, refuseDevelopmentKeys, requireHashTagOnCluster, urlSetting } from '@revos/runtime';
import { z } from 'zod';

const url = urlSetting;

/** An optional setting: unset and the empty string both mean "absent". */
const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());


export const ProducerEnv = z.object({
  /** Port of the HTTP API and webhooks; 0 picks a free one (tests). */
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Interface the HTTP server binds. */
  HOST: z.string().min(1).default('0.0.0.0'),
  /** Redis for BullMQ. Production Redis needs `maxmemory-policy noeviction`. */
  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /**
   * Redis Cluster instead of REDIS_URL: comma-separated URLs of some of its nodes (the rest are
   * discovered). QUEUE_PREFIX must then carry a hash tag such as `{revos}`.
   */
  REDIS_CLUSTER_NODES: optional(redisClusterNodesSetting),
  /** OpenTelemetry traces: base URL of an OTLP/HTTP collector (`http://collector:4318`; spans go to `/v1/traces`). Unset: off. */
  OTEL_EXPORTER_OTLP_ENDPOINT: optional(url(['http:', 'https:'])),
  /** Headers for the collector, as OpenTelemetry writes them: `key=value,key2=value2` (an API key). */
  OTEL_EXPORTER_OTLP_HEADERS: optional(z.string().regex(/^[^=,]+=[^,]*(,[^=,]+=[^,]*)*$/, 'key=value pairs separated by commas')),
  /** `service.name` of this process's spans. */
  OTEL_SERVICE_NAME: z.string().min(1).default('revos-producer'),
  /** PostgreSQL, the durable record. Created and migrated at start unless MIGRATE_ON_START=false. */
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/revos'),
  MIGRATE_ON_START: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** BullMQ key prefix; must equal the workers'. Use a hash tag such as `{revos}` on Redis Cluster. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_{}-]{1,40}$/, 'letters, digits, _ - { } only').default('revos'),
  /** PostgreSQL connections in this process's pool. */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(10),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Goes to meta.environment of the envelopes webhooks build. */
  ENVIRONMENT: z.enum(['prod', 'staging']).default('staging'),
  /**
   * The externally visible base URL (scheme://host[:port], no path), used to rebuild the URL Twilio
   * signed when a proxy sits in front. Absent: the request's own Host header and protocol.
   */
  PUBLIC_BASE_URL: optional(url(['http:', 'https:'])),
  /** Twilio's auth token: verifies X-Twilio-Signature on Twilio webhooks (the worker's default). */
  TWILIO_AUTH_TOKEN: z.string().min(1).default('local-standin-token'),
  /** Shared secret of the generic JSON webhooks (X-Revos-Signature: v1=<hex HMAC-SHA256>). */
  WEBHOOK_SIGNING_SECRET: z.string().min(1).default('local-webhook-secret'),
  /** A generic webhook's X-Revos-Timestamp may be this many seconds off our clock (replay window). */
  WEBHOOK_TOLERANCE_S: z.coerce.number().int().min(1).max(86_400).default(300),
  /** The workflow an inbound Twilio SMS starts. */
  TWILIO_SMS_WORKFLOW: z.string().min(1).default('WF31_Inbound_SMS'),
  /** The workflow each answer of a Twilio call runs (turn 1, 2, ...); the greeting runs none. */
  TWILIO_VOICE_WORKFLOW: z.string().min(1).default('WF17_RealTime_Voice_Orchestrator'),
  /** The voice webhook stops waiting this long before the voice budget ends, to write the TwiML out in time. */
  VOICE_REPLY_MARGIN_MS: z.coerce.number().int().min(0).max(2_000).default(150),
  /** How often the dispatcher moves next_actions from the outbox to the queues. */
  DISPATCH_INTERVAL_MS: z.coerce.number().int().min(10).default(250),
  /** How often the reconciler re-enqueues accepted runs whose job is missing from Redis. */
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(100).default(15_000),
  /** An accepted run younger than this is left to the producer that accepted it. */
  RECONCILE_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /**
   * An ES module of the deployment's own workflows (`export const workflows = (services) => [...]`),
   * accepted beside the reference ones by the API, webhooks, cron and the CLI; a relative path is
   * taken from the working directory. Workers must load the same module.
   */
  WORKFLOWS_MODULE: optional(z.string().min(1)),
  /** Path to a JSON file of cron schedules; absent: no schedules. */
  CRON_SCHEDULES: optional(z.string().min(1)),
  /**
   * Secret for PHI tokens (keyed hashes that keep a patient joinable, not readable) in phi_minimized
   * runs; at least 32 bytes; rotating it breaks joins with older tokens. The default is for local
   * development only and is refused when NODE_ENV=production.
   */
  PHI_TOKEN_KEY: z.string().min(32, 'at least 32 characters').default(DEV_PHI_TOKEN_KEY),
  /** Secret sealing (AES-256-GCM) the transient copies phi_minimized runs need to re-run; at least 32 bytes. */
  PHI_SEAL_KEY: z.string().min(32, 'at least 32 characters').default(DEV_PHI_SEAL_KEY),
  /** Seal keys used before PHI_SEAL_KEY (comma-separated): copies they sealed still open after a rotation. */
  PHI_SEAL_KEYS_PREVIOUS: previousSealKeysSetting,

  // --- Operations: /admin (Bull Board, run explorer), /metrics, alerts, logs ---
  /** The operator's login name for /admin (login form or HTTP basic auth). */
  ADMIN_USER: z.string().min(1).default('admin'),
  /** The operator's password. Unset: every /admin route answers 503 "admin disabled" (never open). */
  ADMIN_PASSWORD: optional(z.string().min(8, 'at least 8 characters')),
  /** Signs the admin session cookie. Unset: derived from ADMIN_PASSWORD (changing the password logs everyone out). */
  ADMIN_SESSION_SECRET: optional(z.string().min(16, 'at least 16 characters')),
  /** How long an admin login lasts. */
  ADMIN_SESSION_TTL_S: z.coerce.number().int().min(60).max(7 * 86_400).default(8 * 3600),
  /** Bull Board's readOnlyMode: no retry, remove, promote or clean buttons. `false` lets operators act on jobs. */
  ADMIN_READ_ONLY: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /**
   * Bearer token for GET /metrics (Prometheus' `authorization` credentials). Unset: /metrics takes the
   * admin credentials instead (basic auth or the session), and answers 503 when admin is disabled too.
   */
  METRICS_TOKEN: optional(z.string().min(16, 'at least 16 characters')),
  /** How often the alert checks (outbox lag, failure rate) run. */
  ALERT_INTERVAL_MS: z.coerce.number().int().min(100).default(30_000),
  /** An outbox entry pending longer than this many seconds raises an `outbox_lag` alert. */
  OUTBOX_LAG_ALERT_S: z.coerce.number().min(1).default(60),
  /** A workflow whose share of `failed` runs in the window exceeds this raises a `failure_rate` alert. */
  FAILURE_RATE_ALERT: z.coerce.number().gt(0).max(1).default(0.2),
  /** The failure-rate window (and the alert's dedupe window). */
  FAILURE_RATE_WINDOW_MS: z.coerce.number().int().min(1_000).default(600_000),
  /** Fewer finished runs than this in the window: no failure-rate verdict (noise). */
  FAILURE_RATE_MIN_RUNS: z.coerce.number().int().min(1).default(20),
  /** `true`: human-readable log lines (pino-pretty). Default: JSON lines, except when NODE_ENV=development. */
  LOG_PRETTY: optional(z.enum(['true', 'false']).transform((v) => v === 'true')),
  /** Only `development` changes anything here: pretty logs unless LOG_PRETTY=false. */
  NODE_ENV: optional(z.string()),
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
  .superRefine(refuseDevelopmentKeys)
  .superRefine(requireHashTagOnCluster)
  .superRefine((env, ctx) => {
    if (env.DEDUPE_WINDOW_DAYS !== undefined && env.DEDUPE_WINDOW_DAYS < env.RETENTION_DAYS) {
      ctx.addIssue({ code: 'custom', path: ['DEDUPE_WINDOW_DAYS'], message: 'must be at least RETENTION_DAYS (a duplicate of a run still kept must stay a noop)' });
    }
  });
export type ProducerEnv = z.infer<typeof ProducerEnv>;

/** Parses the environment once at start; a bad value stops the process naming the variable and the rule. */
export function loadProducerEnv(source: Record<string, string | undefined> = process.env): ProducerEnv {
  return parseSettings(ProducerEnv, source);
}
