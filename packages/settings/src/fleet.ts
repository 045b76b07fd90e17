/**
 * The settings every fleet process (worker, producer, the `revos` CLI) reads with the same name,
 * rule and meaning: spread into each app's env.ts so they cannot drift apart.
 */
import { z } from 'zod';
import { databaseSettings } from './database.js';
import { booleanSetting, optionalSetting, urlSetting } from './parse.js';
import { DEVELOPMENT_DEFAULTS, refusePublicDefaults } from './production.js';

/** Comma-separated Redis Cluster node URLs; at least one. */
export const redisClusterNodesSetting = z
  .string()
  .transform((s) => s.split(',').map((u) => u.trim()).filter(Boolean))
  .pipe(z.array(urlSetting(['redis:', 'rediss:'])).min(1, 'name at least one node URL'));

/** `REDIS_SENTINELS`: comma-separated `host:port` of Redis Sentinels; at least one. */
export const redisSentinelsSetting = z
  .string()
  .transform((s) => s.split(',').map((a) => a.trim()).filter(Boolean))
  .pipe(
    z
      .array(
        z
          .string()
          .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'each must be host:port')
          .transform((a) => ({ host: a.slice(0, a.lastIndexOf(':')), port: Number(a.slice(a.lastIndexOf(':') + 1)) }))
          .refine((a) => a.port >= 1 && a.port <= 65_535, 'port must be 1-65535'),
      )
      .min(1, 'name at least one sentinel host:port'),
  );

/**
 * `PHI_SEAL_KEYS_PREVIOUS`: the seal keys used before the current `PHI_SEAL_KEY`, comma-separated, each
 * at least 32 bytes. Rows sealed under them still open; nothing new is sealed with them. Drop a key once
 * every copy it sealed has settled (sealed copies are transient: hours, not months).
 */
export const previousSealKeysSetting = z
  .string()
  .default('')
  .transform((value) => value.split(',').map((k) => k.trim()).filter((k) => k !== ''))
  .refine((keys) => keys.every((k) => Buffer.byteLength(k, 'utf8') >= 32), 'each key at least 32 bytes (comma-separated)');

/** `METRICS_TOKEN`: the bearer token Prometheus sends for GET /metrics (producer and worker); at least 16 characters. */
export const metricsTokenSetting = optionalSetting(z.string().min(16, 'at least 16 characters'));

/** What differs between the apps: only the defaults. */
export interface FleetDefaults {
  /** `service.name` of the process's spans. */
  serviceName: string;
  /** PostgreSQL connections in the process's pool. */
  dbPoolMax: number;
}

/** The shared fragment: `z.object({ ...fleetSettings(defaults), ...appSettings }).superRefine(fleetRules)`. */
export function fleetSettings(defaults: FleetDefaults) {
  return {
    ...databaseSettings,
    MIGRATE_ON_START: booleanSetting.default(true),
    /** PostgreSQL connections in this process's pool. */
    DB_POOL_MAX: z.coerce.number().int().min(1).max(500).default(defaults.dbPoolMax),
    /** Redis for BullMQ. Production Redis needs `maxmemory-policy noeviction`. */
    REDIS_URL: urlSetting(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    /**
     * Redis Cluster instead of REDIS_URL: comma-separated URLs of some of its nodes (the rest are
     * discovered). QUEUE_PREFIX must then carry a hash tag such as `{revos}`.
     */
    REDIS_CLUSTER_NODES: optionalSetting(redisClusterNodesSetting),
    /**
     * Redis behind Sentinel instead of REDIS_URL's host: comma-separated `host:port` of the Sentinels, asked
     * for the current master of REDIS_SENTINEL_MASTER (and asked again after a failover). Credentials and
     * TLS of the Redis nodes still come from REDIS_URL.
     */
    REDIS_SENTINELS: optionalSetting(redisSentinelsSetting),
    /** The master name the Sentinels monitor (`sentinel monitor <name> ...`); required with REDIS_SENTINELS. */
    REDIS_SENTINEL_MASTER: optionalSetting(z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - only')),
    /** BullMQ key prefix; the same on every process. Use a hash tag such as `{revos}` on Redis Cluster. */
    QUEUE_PREFIX: z.string().regex(/^[A-Za-z0-9_{}-]{1,40}$/, 'letters, digits, _ - { } only').default('revos'),
    /**
     * Fair share between tenants inside each lane (`true`, the default): a practice's backlog delays
     * another's runs by at most one run per round, weighted by `fair_share_weight`. `false`: first in,
     * first out across tenants. Every process of a fleet must agree.
     */
    FAIR_SHARE: booleanSetting.default(true),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /** `true`: human-readable log lines (pino-pretty). Default: JSON lines, except when NODE_ENV=development. */
    LOG_PRETTY: optionalSetting(booleanSetting),
    /** `development`: pretty logs unless LOG_PRETTY=false; `production`: every public development default is refused (production.ts). */
    NODE_ENV: optionalSetting(z.string()),
    /** OpenTelemetry traces: base URL of an OTLP/HTTP collector (`http://collector:4318`; spans go to `/v1/traces`). Unset: off. */
    OTEL_EXPORTER_OTLP_ENDPOINT: optionalSetting(urlSetting(['http:', 'https:'])),
    /** Headers for the collector, as OpenTelemetry writes them: `key=value,key2=value2` (an API key). */
    OTEL_EXPORTER_OTLP_HEADERS: optionalSetting(z.string().regex(/^[^=,]+=[^,]*(,[^=,]+=[^,]*)*$/, 'key=value pairs separated by commas')),
    /** `service.name` of this process's spans. */
    OTEL_SERVICE_NAME: z.string().min(1).default(defaults.serviceName),
    /**
     * Secret for PHI tokens (keyed hashes that keep a patient joinable, not readable) in phi_minimized
     * runs; at least 32 bytes; rotating it breaks joins with older tokens. The default is for local
     * development only and is refused when NODE_ENV=production.
     */
    PHI_TOKEN_KEY: z.string().min(32, 'at least 32 characters').default(DEVELOPMENT_DEFAULTS.PHI_TOKEN_KEY),
    /** Secret sealing (AES-256-GCM) the transient copies phi_minimized runs need to re-run; at least 32 bytes. */
    PHI_SEAL_KEY: z.string().min(32, 'at least 32 characters').default(DEVELOPMENT_DEFAULTS.PHI_SEAL_KEY),
    /** Seal keys used before PHI_SEAL_KEY (comma-separated): copies they sealed still open after a rotation. */
    PHI_SEAL_KEYS_PREVIOUS: previousSealKeysSetting,
    /**
     * An ES module of the deployment's own workflows (`export const workflows = (services) => [...]`),
     * served and accepted beside the reference ones; a relative path is taken from the working
     * directory. Workers, producers and the CLI must load the same module.
     */
    WORKFLOWS_MODULE: optionalSetting(z.string().min(1)),
    /** Twilio's auth token: the worker's API credential, and what the producer checks X-Twilio-Signature with. */
    TWILIO_AUTH_TOKEN: z.string().min(1, 'must not be empty').default(DEVELOPMENT_DEFAULTS.TWILIO_AUTH_TOKEN),
  };
}

/** `{...}` with something inside: the part of a key Redis Cluster hashes, so a queue's keys share one slot. */
export function hasHashTag(prefix: string): boolean {
  return /\{[^{}]+\}/.test(prefix);
}

/** The rules across shared settings: shared development secrets never reach production; a cluster needs a hash tag; Sentinels need a master name. */
export function fleetRules(
  env: {
    NODE_ENV?: string | undefined;
    PHI_TOKEN_KEY: string;
    PHI_SEAL_KEY: string;
    TWILIO_AUTH_TOKEN: string;
    REDIS_CLUSTER_NODES?: string[] | undefined;
    REDIS_SENTINELS?: unknown[] | undefined;
    REDIS_SENTINEL_MASTER?: string | undefined;
    QUEUE_PREFIX: string;
  },
  ctx: z.RefinementCtx,
): void {
  refusePublicDefaults(env, ['PHI_TOKEN_KEY', 'PHI_SEAL_KEY', 'TWILIO_AUTH_TOKEN'], ctx);
  if (env.REDIS_CLUSTER_NODES && !hasHashTag(env.QUEUE_PREFIX)) {
    ctx.addIssue({ code: 'custom', path: ['QUEUE_PREFIX'], message: 'must contain a hash tag such as {revos} when REDIS_CLUSTER_NODES is set (every key of a queue must hash to one slot)' });
  }
  if (env.REDIS_SENTINELS && !env.REDIS_SENTINEL_MASTER) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINEL_MASTER'], message: 'required when REDIS_SENTINELS is set (the master name the Sentinels monitor)' });
  }
  if (env.REDIS_SENTINELS && env.REDIS_CLUSTER_NODES) {
    ctx.addIssue({ code: 'custom', path: ['REDIS_SENTINELS'], message: 'set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both' });
  }
}
