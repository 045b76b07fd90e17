/**
 * The worker's configuration: every variable it reads, parsed once at start.
 * A missing or bad value stops the process with the variable's name and rule.
 */
import { hostname, tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DEV_PHI_SEAL_KEY, DEV_PHI_TOKEN_KEY, parseSettings, previousSealKeysSetting, redisClusterNodesSetting, refuseDevelopmentKeys, requireHashTagOnCluster, urlSetting } from '@revos/runtime';
import { z } from 'zod';

const lanes = z
  .string()
  .transform((s) => s.split(',').map((l) => l.trim()).filter(Boolean))
  .pipe(z.array(z.enum(['realtime', 'interactive', 'batch'])).min(1, 'name at least one lane'));

const url = urlSetting;

/** An optional setting: unset and the empty string both mean "absent". */
const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((v) => (v === '' ? undefined : v), schema.optional());


export const WorkerEnv = z.object({
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
  OTEL_SERVICE_NAME: z.string().min(1).default('revos-worker'),
  /** PostgreSQL, the durable record. Created and migrated at start unless MIGRATE_ON_START=false. */
  DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/revos'),
  MIGRATE_ON_START: z.enum(['true', 'false']).default('true').transform((v) => v === 'true'),
  /** BullMQ key prefix; use a hash tag such as `{revos}` on Redis Cluster. */
  QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_{}-]{1,40}$/, 'letters, digits, _ - { } only').default('revos'),
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
  /** PostgreSQL connections in this process's pool. */
  DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
  /** Port of GET /healthz and GET /metrics (Prometheus; internal, unauthenticated like /healthz); 0 turns it off. */
  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  /** On SIGTERM/SIGINT, how long in-flight runs may finish before they are aborted. */
  SHUTDOWN_TIMEOUT_MS: z.coerce.number().int().min(0).default(20_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** How long a tenant's entitlements are cached in this process. */
  TENANT_CACHE_MS: z.coerce.number().int().min(0).default(5_000),
  /** A repeated latency breach: this many breaches of one workflow for one tenant ... */
  BREACH_ALERT_COUNT: z.coerce.number().int().min(1).default(3),
  /** ... within this window, writes an alert. */
  BREACH_ALERT_WINDOW_MS: z.coerce.number().int().min(1_000).default(300_000),
  /** Names this process in the ledger's lock owner column. */
  WORKER_ID: z.string().min(1).default(`${hostname()}-${process.pid}`),
  /** Twilio (or a compatible stand-in) for SMS and voice. */
  TWILIO_BASE_URL: url(['http:', 'https:']).default('http://127.0.0.1:4010'),
  TWILIO_ACCOUNT_SID: z.string().min(1).default('AC_local_standin'),
  TWILIO_AUTH_TOKEN: z.string().min(1).default('local-standin-token'),
  /** The practice management system's JSON API. */
  PMS_BASE_URL: url(['http:', 'https:']).default('http://127.0.0.1:4010/pms'),
  PMS_API_KEY: z.string().min(1).default('local-standin-key'),
  /** Stripe (or a compatible stand-in) for WF60_Collect_Payment and WF61_Refund_Payment. */
  STRIPE_BASE_URL: url(['http:', 'https:']).default('http://127.0.0.1:4011'),
  /** Secret or restricted key (`sk_…`/`rk_…`; a restricted key needs PaymentIntents and Refunds write). */
  STRIPE_SECRET_KEY: z.string().min(1).default('sk_test_local_standin'),
  /** Per-call vendor timeout. */
  VENDOR_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  /**
   * How long after a vendor call its lookup is trusted to list what the call created. A call whose
   * answer was lost is looked up; an absence seen sooner is not proof, so the run asks again after it.
   */
  RECONCILE_LISTING_DELAY_MS: z.coerce.number().int().min(0).max(3_600_000).default(60_000),
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
  /**
   * An ES module of the deployment's own workflows (`export const workflows = (services) => [...]`),
   * served beside the reference ones; a relative path is taken from the working directory. Producers
   * and the CLI must load the same module.
   */
  WORKFLOWS_MODULE: z.preprocess((v) => (v === '' ? undefined : v), z.string().min(1).optional()),
  /** `true`: human-readable log lines (pino-pretty). Default: JSON lines, except when NODE_ENV=development. */
  LOG_PRETTY: z.preprocess((v) => (v === '' ? undefined : v), z.enum(['true', 'false']).transform((v) => v === 'true').optional()),
  /** Only `development` changes anything here: pretty logs unless LOG_PRETTY=false. */
  NODE_ENV: z.string().optional(),
})
  .superRefine(refuseDevelopmentKeys)
  .superRefine(requireHashTagOnCluster);
export type WorkerEnv = z.infer<typeof WorkerEnv>;

/** Parses the environment once at start; a bad value stops the process naming the variable and the rule. */
export function loadWorkerEnv(source: Record<string, string | undefined> = process.env): WorkerEnv {
  return parseSettings(WorkerEnv, source);
}
