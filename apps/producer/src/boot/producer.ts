import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { createDb, migrateDatabase } from '@revos/db';
import { closeLaneQueues, createLaneQueues, createLogger, createPrivacyGuard, createRedisConnection, createRunReplies, createTracing, CRON_QUEUE, IntakeRepeatCache, parseOtlpHeaders, type AnyManifest, type Logger } from '@revos/runtime';
import { Queue } from 'bullmq';
import type { Hono } from 'hono';
import { createProducerApp } from '../http/app.js';
import type { AppEnv } from '../http/app-env.js';
import type { ProducerDeps } from '../platform/deps.js';
import type { ProducerEnv } from '../platform/env.js';
import { createProducerMetrics } from '../platform/metrics.js';
import { createProducerCatalog } from '../services/catalog.js';
import { syncFairShareWeights } from '../services/fair-share-weights.js';
import { loadCronSchedules } from './cron-file.js';

/** Background work started beside the HTTP server (dispatcher, reconciler, cron), stopped before it. */
export interface BackgroundHandle {
  stop(): Promise<void>;
}

export interface StartProducerOptions {
  log?: Logger;
  /** Manifests of the workflows accepted beside the reference ones (a deployment's own, or a test's). */
  extraManifests?: readonly AnyManifest[];
  /**
   * Hook for the background loops: called once the server is listening, with the same
   * dependencies the HTTP app uses; its `stop()` runs first on close.
   */
  startBackground?: (deps: ProducerDeps) => Promise<BackgroundHandle>;
}

export interface ProducerProcess {
  /** `http://<host>:<port>` as bound (127.0.0.1 when bound to every interface). */
  url: string;
  /** The HTTP app being served (its `routes` list what the process answers). */
  app: Hono<AppEnv>;
  port: number;
  log: Logger;
  /** Stops background work, stops accepting, lets in-flight requests finish, closes every connection. */
  close(): Promise<void>;
}

/** How long in-flight requests may take to finish on close before their sockets are cut. */
const CLOSE_GRACE_MS = 10_000;

/** Builds and starts one producer: HTTP API and webhooks on HOST:PORT (PORT 0: a free port). */
export async function startProducerProcess(env: ProducerEnv, options: StartProducerOptions = {}): Promise<ProducerProcess> {
  const log = options.log ?? createLogger({ level: env.LOG_LEVEL });
  // Configuration first, before any connection or the port: a bad schedule file stops the start here.
  const catalog = createProducerCatalog(options.extraManifests);
  const schedules = loadCronSchedules(env.CRON_SCHEDULES, catalog);
  if (env.MIGRATE_ON_START) await migrateDatabase(env.DATABASE_URL);
  const db = createDb({ url: env.DATABASE_URL, pooler: env.DATABASE_POOLER, max: env.DB_POOL_MAX, applicationName: 'revos-producer' });
  // One connection for the queues; `maxRetriesPerRequest: null` as BullMQ requires.
  const redis = createRedisConnection(env, { maxRetriesPerRequest: null });
  const queues = createLaneQueues(redis, env.QUEUE_PREFIX, { fairShare: env.FAIR_SHARE });
  // Bull Board shows the cron schedulers' queue beside the lanes; this handle only reads it.
  const cronQueue = new Queue(CRON_QUEUE, { connection: redis, prefix: env.QUEUE_PREFIX });
  const repeats = new IntakeRepeatCache({ maxEntries: env.INTAKE_REPEAT_CACHE_SIZE, ttlMs: env.INTAKE_REPEAT_CACHE_TTL_MS });
  const metrics = createProducerMetrics({ db, queues, cronQueue, prefix: env.QUEUE_PREFIX, repeats });
  const privacy = createPrivacyGuard({ tokenKey: env.PHI_TOKEN_KEY, sealKey: env.PHI_SEAL_KEY, previousSealKeys: env.PHI_SEAL_KEYS_PREVIOUS });
  const tracing = await createTracing({ endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME, headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS) });
  // One subscriber connection for every request waiting on a run's output.
  const replies = createRunReplies(redis, env.QUEUE_PREFIX, log);
  const deps: ProducerDeps = { db, queues, catalog, log, env, redis, cronQueue, metrics, privacy, schedules, replies, repeats, tracer: tracing.enabled ? tracing.tracer : undefined };
  // The weights every enqueue reads, before the first request (the background loop keeps them fresh).
  if (env.FAIR_SHARE) {
    await syncFairShareWeights(deps).catch((error: unknown) => log.warn({ err: (error as Error).message }, 'fair-share weights not synced at start; every tenant weighs 1 until the next sync'));
  }
  const closeConnections = async () => {
    await replies.close();
    await metrics.close();
    await closeLaneQueues(queues);
    await cronQueue.close();
    await redis.quit().catch(() => redis.disconnect());
    await db.close();
    await tracing.shutdown().catch((error: unknown) => log.warn({ err: (error as Error).message }, 'could not flush traces'));
  };

  const app = createProducerApp(deps);
  // overrideGlobalObjects: false keeps the process's own Request/Response (and fetch) untouched.
  const server = createAdaptorServer({ fetch: app.fetch, overrideGlobalObjects: false }) as Server;
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(env.PORT, env.HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    await closeConnections();
    throw error;
  }
  const port = (server.address() as AddressInfo).port;
  const host = env.HOST === '0.0.0.0' || env.HOST === '::' ? '127.0.0.1' : env.HOST.includes(':') ? `[${env.HOST}]` : env.HOST;
  const url = `http://${host}:${port}`;

  let background: BackgroundHandle | null = null;
  if (options.startBackground) {
    try {
      background = await options.startBackground(deps);
    } catch (error) {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await closeConnections();
      throw error;
    }
  }
  log.info({ url, port, host: env.HOST, workflows: catalog.list().length, queue_prefix: env.QUEUE_PREFIX }, 'producer listening');

  let closing: Promise<void> | null = null;
  return {
    url,
    app,
    port,
    log,
    close() {
      closing ??= (async () => {
        await background?.stop();
        // Stop accepting; idle keep-alive sockets go now, busy ones when their response is sent,
        // and any still open after the grace period are cut.
        const closed = new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeIdleConnections();
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        await closed;
        clearTimeout(cut);
        await closeConnections();
        log.info('producer stopped');
      })();
      return closing;
    },
  };
}
