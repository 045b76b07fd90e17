import { createDb, migrateDatabase } from '@revos/db';
import {
  closeLaneQueues,
  createLaneQueues,
  createLaneWorker,
  createLogger,
  createPrivacyGuard,
  createRedisConnection,
  createTracing,
  parseOtlpHeaders,
  dispatchPending,
  TenantCache,
  type AnyWorkflow,
  type Lane,
  type Logger,
  type PipelineDeps,
} from '@revos/runtime';
import {
  createDbVoiceCallStore,
  createHttpPmsAdapter,
  createStripePaymentProvider,
  createReferenceCatalog,
  createTwilioSmsProvider,
  createTwilioVoiceProvider,
  createSenderPacer,
  type WorkflowServices,
} from '@revos/workflows';
import type { Context } from '@opentelemetry/api';
import type { Worker } from 'bullmq';
import type { WorkerEnv } from './env.js';
import { startHealthServer } from './health-server.js';
import { createWorkerMetrics, type WorkerMetrics } from './metrics.js';
import { emailServices } from './email-services.js';
import { warnDatabaseSettings } from './database-settings-check.js';
import { findUnservedVersions, warnUnservedVersions } from './version-check.js';

export interface WorkerProcess {
  log: Logger;
  workers: Map<Lane, Worker>;
  /** This process's Prometheus registry (also served on HEALTH_PORT at /metrics). */
  metrics: WorkerMetrics;
  healthPort: number | null;
  /** Drains in-flight runs for up to SHUTDOWN_TIMEOUT_MS, then aborts the rest; closes every connection. */
  close(): Promise<void>;
}

export interface StartOptions {
  log?: Logger;
  /** Workflows served beside the reference ones (a deployment's own, or a test's). */
  extraWorkflows?: (services: WorkflowServices) => AnyWorkflow[];
}

/** Builds and starts one worker replica serving the configured lanes. */
export async function startWorkerProcess(env: WorkerEnv, options: StartOptions = {}): Promise<WorkerProcess> {
  const log = options.log ?? createLogger({ level: env.LOG_LEVEL });
  if (env.MIGRATE_ON_START) await migrateDatabase(env.DATABASE_URL);
  const db = createDb({ url: env.DATABASE_URL, pooler: env.DATABASE_POOLER, max: env.DB_POOL_MAX, applicationName: `revos-worker:${env.WORKER_ID}` });
  const twilio = { baseUrl: env.TWILIO_BASE_URL, accountSid: env.TWILIO_ACCOUNT_SID, authToken: env.TWILIO_AUTH_TOKEN, timeoutMs: env.VENDOR_TIMEOUT_MS, statusCallbackBaseUrl: env.PUBLIC_BASE_URL };
  // BullMQ workers need `maxRetriesPerRequest: null` so a Redis blip blocks instead of failing jobs.
  const connection = createRedisConnection(env, { maxRetriesPerRequest: null });
  const services: WorkflowServices = {
    sms: createTwilioSmsProvider(twilio),
    voice: createTwilioVoiceProvider(twilio),
    pms: createHttpPmsAdapter({ baseUrl: env.PMS_BASE_URL, apiKey: env.PMS_API_KEY, timeoutMs: env.VENDOR_TIMEOUT_MS }),
    payments: createStripePaymentProvider({ baseUrl: env.STRIPE_BASE_URL, secretKey: env.STRIPE_SECRET_KEY, timeoutMs: env.VENDOR_TIMEOUT_MS }),
    // WF15/WF54/WF84 are registered only with these: the token key, the durable record, the export directory.
    privacy: { tokenKey: env.PHI_TOKEN_KEY },
    records: db,
    calls: createDbVoiceCallStore(db),
    exportDir: env.EXPORT_DIR,
    // Email (WF36/WF37) only with a transport: Postmark or an SMTP relay.
    ...emailServices(env, db),
    // Texts paced per sending number across every replica, on the fleet's Redis (read when a text is sent).
    pacer: createSenderPacer(connection, { prefix: env.QUEUE_PREFIX }),
  };
  const catalog = createReferenceCatalog(services, options.extraWorkflows?.(services) ?? []);
  const shutdown = new AbortController();
  const privacy = createPrivacyGuard({ tokenKey: env.PHI_TOKEN_KEY, sealKey: env.PHI_SEAL_KEY, previousSealKeys: env.PHI_SEAL_KEYS_PREVIOUS });
  const deps: PipelineDeps = {
    db,
    catalog,
    privacy,
    tenants: new TenantCache(db.sql, env.TENANT_CACHE_MS, log),
    workerId: env.WORKER_ID,
    log,
    breachAlert: { count: env.BREACH_ALERT_COUNT, windowMs: env.BREACH_ALERT_WINDOW_MS },
    listingDelayMs: env.RECONCILE_LISTING_DELAY_MS,
    shutdownSignal: shutdown.signal,
  };
  const concurrency: Record<Lane, number> = {
    realtime: env.CONCURRENCY_REALTIME,
    interactive: env.CONCURRENCY_INTERACTIVE,
    batch: env.CONCURRENCY_BATCH,
  };
  // Follow-ups of finished runs are enqueued right away by the worker that finished them.
  const queues = createLaneQueues(connection, env.QUEUE_PREFIX, { fairShare: env.FAIR_SHARE });
  const tracing = await createTracing({ endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT, serviceName: env.OTEL_SERVICE_NAME, headers: parseOtlpHeaders(env.OTEL_EXPORTER_OTLP_HEADERS) });
  const tracer = tracing.enabled ? tracing.tracer : undefined;
  // No intake repeat cache here: a worker submits each follow-up once, right after committing it; a
  // repeat of one comes from the producer's outbox sweep, in another process, so it would never hit.
  const dispatchFollowUps = (parentRunId: string, traceParent?: Context) =>
    dispatchPending({ db, queues, catalog, log, privacy, tracer }, { parentRunId, limit: 50, traceParent });
  // Before any lane starts: runs naming a version this release dropped would fail unknown_workflow.
  await warnUnservedVersions(db, catalog, log);
  // Stale statistics keep the ledger's prepared statements on plans made for small tables.
  await warnDatabaseSettings(db, log);
  const metrics = createWorkerMetrics(catalog.list(), { unservedVersions: () => findUnservedVersions(db, catalog) });
  const workers = new Map<Lane, Worker>();
  for (const lane of env.WORKER_LANES) {
    const worker = createLaneWorker({
      lane,
      concurrency: concurrency[lane],
      connection,
      prefix: env.QUEUE_PREFIX,
      deps,
      log: log.child({ lane }),
      dispatchFollowUps,
      onOutcome: metrics.onOutcome,
      tracer,
      publishReplies: env.REPLY_LANES.includes(lane),
    });
    workers.set(lane, worker);
    void worker.run();
  }
  await Promise.all([...workers.values()].map((w) => w.waitUntilReady()));

  const health = env.HEALTH_PORT > 0 ? await startHealthServer({
    port: env.HEALTH_PORT,
    metrics,
    metricsToken: env.METRICS_TOKEN,
    check: async () => {
      await db.sql`select 1`;
      const pong = await connection.ping();
      return { lanes: [...workers.keys()], running: [...workers.values()].every((w) => w.isRunning()), redis: pong === 'PONG' };
    },
  }) : null;

  log.info({ lanes: env.WORKER_LANES, concurrency, health_port: health ? env.HEALTH_PORT : null, workflows: catalog.list().length, tracing: tracing.enabled }, 'worker started');

  let closing: Promise<void> | null = null;
  return {
    log,
    workers,
    metrics,
    healthPort: health ? env.HEALTH_PORT : null,
    close() {
      closing ??= (async () => {
        log.info({ timeout_ms: env.SHUTDOWN_TIMEOUT_MS }, 'draining in-flight runs');
        const drained = Promise.all([...workers.values()].map((w) => w.close())).then(() => true);
        const timedOut = new Promise<false>((resolve) => setTimeout(() => resolve(false), env.SHUTDOWN_TIMEOUT_MS).unref());
        if (!(await Promise.race([drained, timedOut]))) {
          // Runs still going are aborted; their jobs' locks lapse and another replica re-runs them,
          // reusing every effect already journaled.
          log.warn('drain timed out; aborting the remaining runs');
          shutdown.abort();
          await Promise.all([...workers.values()].map((w) => w.close(true)));
        }
        health?.close();
        await closeLaneQueues(queues);
        await connection.quit().catch(() => connection.disconnect());
        await db.close();
        // Last: the spans of the runs that just drained are sent before the process goes.
        await tracing.shutdown().catch((error: unknown) => log.warn({ err: (error as Error).message }, 'could not flush traces'));
        log.info('worker stopped');
      })();
      return closing;
    },
  };
}
