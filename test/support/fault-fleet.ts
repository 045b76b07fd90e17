/**
 * An in-process fleet for the fault cases that break a dependency under it: like the harness, but
 * the workers may reach PostgreSQL through another URL (a proxy the test cuts) and Redis at another
 * URL (a private redis-server the test restarts). The intake and every assertion use their own
 * direct connections, so they see the truth whatever the fleet sees.
 */
import { createDb, upsertTenant, type Db } from '@revos/db';
import {
  closeLaneQueues,
  createLaneQueues,
  createLaneWorker,
  createLogger,
  createRedisConnection,
  dispatchPending,
  LANES,
  submitRun,
  TenantCache,
  WorkflowCatalog,
  type IntakeResult,
  type LaneQueues,
  type PipelineDeps,
  type RedisSettings,
} from '@revos/runtime';
import { createHttpPmsAdapter, createTwilioSmsProvider, createTwilioVoiceProvider, referenceWorkflows } from '@revos/workflows';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { ulid } from 'ulid';
import { fakeTwilioWithDedupe, type FaultVendor } from './fault-vendor.js';
import { faultWorkflows, type FaultPayload } from './fault-workflows.js';
import { makeEnvelope, REDIS_URL, TENANT, TENANT_CONFIG } from './harness.js';
import { createTestDatabase, type TestDatabase } from './pg.js';
import { startVendorStandin, type VendorStandin } from './vendor-standin.js';
import type { AcceptedRun } from './fault-audit.js';

export interface FaultFleetOptions {
  /** Redis of the fleet and the intake (default: the test Redis). */
  redisUrl?: string;
  /** Instead of redisUrl: the fleet's Redis settings (Sentinels), opened as the apps open them. */
  redisSettings?: RedisSettings;
  /** Where the fleet's database lives (default: a clone on the test server; a private cluster the test crashes). */
  createDatabase?: () => Promise<TestDatabase>;
  /** The URL the workers reach this database by (default: its own URL). */
  workerDatabaseUrl?: (database: TestDatabase) => string;
  /** The workers' DATABASE_POOLER (a PgBouncer in transaction mode behind workerDatabaseUrl). */
  workerPooler?: 'transaction';
  /** Vendor answer delay, so faults land during calls. */
  vendorDelayMs?: number;
  concurrency?: number;
}

export interface FaultFleet {
  database: TestDatabase;
  /** Direct connection: intake and assertions. */
  db: Db;
  /** The workers' own pool (through the proxy, when there is one). */
  workerDb: Db;
  standin: VendorStandin;
  vendor: FaultVendor;
  catalog: WorkflowCatalog;
  queues: LaneQueues;
  redis: Redis;
  workers: Worker[];
  prefix: string;
  /** 'error' events of the intake's queues (Redis down). */
  connectionErrors: { count: number };
  /** Every log line the workers wrote at warn or above, parsed. */
  logLines: Record<string, unknown>[];
  /** Submits one fault run through the real intake; the figures count it as accepted. */
  submit(workflow: string, payload: FaultPayload): Promise<IntakeResult & { accepted: AcceptedRun }>;
  close(): Promise<void>;
}

export async function startFaultFleet(options: FaultFleetOptions = {}): Promise<FaultFleet> {
  const database = await (options.createDatabase ?? createTestDatabase)();
  const db = database.db;
  await upsertTenant(db.sql, { tenantId: TENANT, name: 'Fault Practice', config: TENANT_CONFIG });
  const workerDb = options.workerDatabaseUrl ? createDb({ url: options.workerDatabaseUrl(database), pooler: options.workerPooler, max: 10, applicationName: 'revos-fault-fleet' }) : db;
  const standin = await startVendorStandin();
  const vendor = fakeTwilioWithDedupe(standin, options.vendorDelayMs ?? 200);
  const prefix = `revos-fault-${ulid().toLowerCase()}`;
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger({ level: 'warn', destination: sink });
  const twilio = { baseUrl: standin.url, accountSid: 'AC_fault', authToken: 'test-token', timeoutMs: 2_000 };
  const services = {
    sms: createTwilioSmsProvider(twilio),
    voice: createTwilioVoiceProvider(twilio),
    pms: createHttpPmsAdapter({ baseUrl: `${standin.url}/pms`, apiKey: 'test-key', timeoutMs: 2_000 }),
  };
  const catalog = new WorkflowCatalog([...referenceWorkflows(services), ...faultWorkflows(services)]);
  const redis = options.redisSettings
    ? (createRedisConnection(options.redisSettings, { maxRetriesPerRequest: null }) as Redis)
    : new Redis(options.redisUrl ?? REDIS_URL, { maxRetriesPerRequest: null });
  // A restarted Redis refuses connections for a moment; ioredis reconnects on its own.
  redis.on('error', () => {});
  const queues = createLaneQueues(redis, prefix);
  // Connection errors while Redis is down are expected here; counted instead of printed.
  const connectionErrors = { count: 0 };
  for (const queue of Object.values(queues)) queue.on('error', () => void (connectionErrors.count += 1));
  const deps: PipelineDeps = {
    db: workerDb,
    catalog,
    tenants: new TenantCache(workerDb.sql, 0),
    workerId: `fault-${process.pid}`,
    log,
    breachAlert: { count: 1_000, windowMs: 60_000 },
  };
  const workers: Worker[] = [];
  for (const lane of LANES) {
    const worker = createLaneWorker({
      lane,
      concurrency: options.concurrency ?? 16,
      connection: redis,
      prefix,
      deps,
      log,
      dispatchFollowUps: (parentRunId) => dispatchPending({ db: workerDb, queues, catalog, log }, { parentRunId }),
    });
    workers.push(worker);
    void worker.run();
  }
  await Promise.all(workers.map((w) => w.waitUntilReady()));

  return {
    database,
    db,
    workerDb,
    standin,
    vendor,
    catalog,
    queues,
    redis,
    workers,
    prefix,
    logLines,
    connectionErrors,
    async submit(workflow, payload) {
      const envelope = makeEnvelope({ workflow, payload });
      const result = await submitRun({ db, queues, catalog }, envelope, { source: 'api' });
      return { ...result, accepted: { workflowRunId: result.workflow_run_id, idempotencyKey: result.idempotency_key, workflow } };
    },
    async close() {
      await Promise.all(workers.map((w) => w.close(true)));
      await closeLaneQueues(queues);
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      await redis.quit();
      await standin.close();
      if (workerDb !== db) await workerDb.close();
      await database.drop();
    },
  };
}
