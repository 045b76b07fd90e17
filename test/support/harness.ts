/**
 * An in-process fleet for integration tests: a private database (cloned from
 * the migrated template), a private BullMQ prefix on the real Redis, the vendor
 * stand-in, the reference workflows plus any test workflows, and lane workers.
 * `close()` tears everything down; a test file that forgets it fails on the open handles it left
 * (test/support/open-handle-guard.ts).
 */
import { acceptRun, setConsent, upsertTenant, type Db } from '@revos/db';
import { envelopeHash, keyForEnvelope, newCorrelationId, newRunId, toJobId, validateOutput, type Envelope, type OutputContract } from '@revos/envelope';
import {
  closeLaneQueues,
  createLaneQueues,
  createLaneWorker,
  createLogger,
  createPrivacyGuard,
  dispatchPending,
  enqueueRun,
  isPhiMinimized,
  LANES,
  redactEnvelope,
  sealContext,
  TenantCache,
  WorkflowCatalog,
  type AnyWorkflow,
  type Lane,
  type LaneQueues,
  type PipelineDeps,
  type PrivacyGuard,
} from '@revos/runtime';
import { createDbVoiceCallStore, createHttpPmsAdapter, createPostmarkEmailProvider, createTwilioSmsProvider, createTwilioVoiceProvider, referenceWorkflows, type WorkflowServices } from '@revos/workflows';
import type { Tracer } from '@opentelemetry/api';
import type { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { Writable } from 'node:stream';
import { ulid } from 'ulid';
import { TEST_REDIS_URL } from './env.js';
import { createTestDatabase, type TestDatabase } from './pg.js';
import { POSTMARK_TEST_TOKEN, startPostmarkStandin, type PostmarkStandin } from './postmark-standin.js';
import { startVendorStandin, type VendorStandin } from './vendor-standin.js';

export const REDIS_URL = TEST_REDIS_URL;
/** Test-only PHI keys (32+ bytes, like production's). */
export const TEST_PHI_TOKEN_KEY = 'test-phi-token-key-abcdefghijklmnopqrstuvwxyz-0123456789';
export const TEST_PHI_SEAL_KEY = 'test-phi-seal-key-zyxwvutsrqponmlkjihgfedcba-9876543210';
export const TENANT = 't_test_practice';

/** Tenant config the reference workflows need; the stand-in plays every vendor. */
export const TENANT_CONFIG = {
  sms_from: '+15550000001',
  staff_alert_phone: '+15550000002',
  voice_from: '+15550000003',
  front_desk_phone: '+15550000004',
  fallback_twiml_url: 'https://example.invalid/fallback.xml',
  practice_id: 'prac_test',
  timezone: 'America/New_York',
  email_from: 'frontdesk@practice.test',
};

/** Where the harness's emails point their one-click unsubscribe links (the producer of a test that follows one). */
export const TEST_EMAIL_LINK_BASE = 'https://revos.test';

export interface HarnessOptions {
  extraWorkflows?: AnyWorkflow[];
  /** Where the database lives (default: a clone on the test server; a private cluster a test crashes). */
  createDatabase?: () => Promise<TestDatabase>;
  lanes?: readonly Lane[];
  concurrency?: number;
  breachAlert?: { count: number; windowMs: number };
  /** Start no workers (tests that drive the pipeline or queues themselves). */
  noWorkers?: boolean;
  /** Workers enqueue their runs' follow-ups at once, as in production (off: only an explicit sweep dispatches). */
  immediateDispatch?: boolean;
  /** PipelineDeps.listingDelayMs (1 s by default in tests: longer than the stand-in takes to act under load). */
  listingDelayMs?: number;
  /** The vendor adapters' per-call timeout (2 s by default). */
  vendorTimeoutMs?: number;
  /** Traces each attempt (the lane workers' `tracer`); absent: off. */
  tracer?: Tracer;
  /** The workers' PUBLIC_BASE_URL: texts and calls name `{it}/webhooks/twilio/{tenant}/status` as StatusCallback. Absent: none. */
  publicBaseUrl?: string;
  /** Services beside the adapters: a sender pacer, a fixed clock for quiet hours and expiry. */
  services?: Pick<WorkflowServices, 'pacer' | 'clock' | 'email'>;
}

export interface Harness {
  db: Db;
  database: TestDatabase;
  vendor: VendorStandin;
  /** Postmark's stand-in: WF36/WF37 send email through it. */
  postmark: PostmarkStandin;
  catalog: WorkflowCatalog;
  queues: LaneQueues;
  workers: Worker[];
  prefix: string;
  redis: Redis;
  deps: PipelineDeps;
  /** The redactor/sealer the fleet's phi_minimized runs use (test keys). */
  privacy: PrivacyGuard;
  /** Every log line the fleet wrote, parsed. */
  logLines: Record<string, unknown>[];
  envelope(input: EnvelopeInput): Envelope;
  /** Records the envelope's acceptance as it is (see `accept`), then enqueues it; returns its job id. */
  enqueue(envelope: Envelope): Promise<string>;
  /**
   * Records intake's acceptance of `envelope` as it is (its accepted_runs and `queued` run rows), without
   * checking or enqueueing it: for a test that adds the job itself, such as an envelope today's intake
   * would refuse but an older producer accepted (a deploy skew).
   */
  accept(envelope: Envelope, lane: Lane): Promise<void>;
  waitForRun(runId: string, until?: (row: RunRow) => boolean, timeoutMs?: number): Promise<RunRow>;
  startWorkers(): Promise<void>;
  close(): Promise<void>;
}

export interface EnvelopeInput {
  workflow: string;
  version?: string;
  payload: Record<string, unknown>;
  triggerId?: string;
  subject?: Envelope['subject'];
  tenantId?: string;
  runId?: string;
  privacyMode?: 'standard' | 'phi_minimized';
}

export interface RunRow {
  workflow_run_id: string;
  status: string;
  failure_code: string | null;
  retry_count: number;
  latency_breach: boolean;
  output: OutputContract | null;
  idempotency_key: string;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const database = await (options.createDatabase ?? createTestDatabase)();
  const db = database.db;
  const vendor = await startVendorStandin();
  const postmark = await startPostmarkStandin();
  const prefix = `revos-test-${ulid().toLowerCase()}`;
  const logLines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) logLines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const log = createLogger({ level: 'debug', destination: sink });
  const timeoutMs = options.vendorTimeoutMs ?? 2_000;
  const twilio = { baseUrl: vendor.url, accountSid: 'AC_test', authToken: 'test-token', timeoutMs, statusCallbackBaseUrl: options.publicBaseUrl };
  const services = {
    sms: createTwilioSmsProvider(twilio),
    voice: createTwilioVoiceProvider(twilio),
    pms: createHttpPmsAdapter({ baseUrl: `${vendor.url}/pms`, apiKey: 'test-key', timeoutMs }),
    calls: createDbVoiceCallStore(db),
    email: createPostmarkEmailProvider({ baseUrl: postmark.url, serverToken: POSTMARK_TEST_TOKEN, timeoutMs }),
    emailLinks: { publicBaseUrl: options.publicBaseUrl ?? TEST_EMAIL_LINK_BASE, secret: TEST_PHI_TOKEN_KEY },
    emailContacts: { records: db, tokenKey: TEST_PHI_TOKEN_KEY },
    ...options.services,
  };
  const catalog = new WorkflowCatalog([...referenceWorkflows(services), ...(options.extraWorkflows ?? [])]);
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: null });
  const queues = createLaneQueues(redis, prefix);
  const privacy = createPrivacyGuard({ tokenKey: TEST_PHI_TOKEN_KEY, sealKey: TEST_PHI_SEAL_KEY });
  const deps: PipelineDeps = {
    db,
    catalog,
    privacy,
    tenants: new TenantCache(db.sql, 0),
    workerId: `test-${process.pid}`,
    log,
    breachAlert: options.breachAlert ?? { count: 3, windowMs: 60_000 },
    // The stand-in lists what it created at once; a short delay still exercises "absent, not yet proof".
    listingDelayMs: options.listingDelayMs ?? 1_000,
  };
  await upsertTenant(db.sql, { tenantId: TENANT, name: 'Test Practice', config: TENANT_CONFIG });

  const workers: Worker[] = [];
  const startWorkers = async () => {
    for (const lane of options.lanes ?? LANES) {
      const dispatchFollowUps = options.immediateDispatch
        ? (parentRunId: string) => dispatchPending({ db, queues, catalog, log, privacy }, { parentRunId })
        : undefined;
      const worker = createLaneWorker({ lane, concurrency: options.concurrency ?? 8, connection: redis, prefix, deps, log, dispatchFollowUps, ...(options.tracer ? { tracer: options.tracer } : {}) });
      workers.push(worker);
      void worker.run();
    }
    await Promise.all(workers.map((w) => w.waitUntilReady()));
  };
  if (!options.noWorkers) await startWorkers();

  const harness: Harness = {
    db,
    database,
    vendor,
    postmark,
    catalog,
    queues,
    workers,
    prefix,
    redis,
    deps,
    privacy,
    logLines,
    startWorkers,
    envelope: (input) => makeEnvelope(input),
    async enqueue(envelope) {
      // Accepted first, as intake does: a worker runs only what intake accepted (accepted_runs). The
      // envelope is kept as the test built it (no arrival or policy stamped), unlike submitRun.
      const workflow = catalog.get(envelope.meta.workflow_name, envelope.meta.workflow_version);
      if (workflow) await harness.accept(envelope, workflow.lane);
      const { jobId } = await enqueueRun(queues, catalog, envelope);
      return jobId;
    },
    async accept(envelope, lane) {
      const m = envelope.meta;
      // As intake stores it: a phi_minimized run redacted, with a sealed copy to re-run it from.
      const phi = isPhiMinimized(envelope);
      await acceptRun(db.sql, {
        idempotencyKey: m.idempotency_key, workflowRunId: m.workflow_run_id, parentRunId: m.parent_run_id ?? null, rootRunId: m.root_run_id,
        correlationId: m.correlation_id, tenantId: m.tenant_id, workflowName: m.workflow_name, workflowVersion: m.workflow_version,
        jobId: toJobId(m.idempotency_key), lane, triggerSource: m.trigger_source, triggerId: m.trigger_id, privacyMode: m.privacy_mode,
        priority: null, runAfter: null, source: 'api', envelopeHash: envelopeHash(envelope),
        envelope: phi ? redactEnvelope(privacy, envelope) : envelope,
        sealedEnvelope: phi ? privacy.sealer.seal(envelope, sealContext.acceptedRun(m.idempotency_key)) : null,
      });
    },
    waitForRun: (runId, until, timeoutMs) => waitForRun(db, runId, until, timeoutMs),
    async close() {
      await Promise.all(workers.map((w) => w.close(true)));
      await closeLaneQueues(queues);
      await deleteKeys(redis, prefix);
      await redis.quit();
      await vendor.close();
      await postmark.close();
      await database.drop();
    },
  };
  return harness;
}

/** Each reference workflow's registered version, the default of {@link makeEnvelope} (adapters are built, never called). */
const REFERENCE_VERSIONS: ReadonlyMap<string, string> = (() => {
  const twilio = { baseUrl: 'http://127.0.0.1:9', accountSid: 'AC_versions', authToken: 'unused', timeoutMs: 1 };
  const services = {
    sms: createTwilioSmsProvider(twilio),
    voice: createTwilioVoiceProvider(twilio),
    pms: createHttpPmsAdapter({ baseUrl: 'http://127.0.0.1:9', apiKey: 'unused', timeoutMs: 1 }),
    email: createPostmarkEmailProvider({ baseUrl: 'http://127.0.0.1:9', serverToken: 'unused', timeoutMs: 1 }),
  };
  return new Map(referenceWorkflows(services).map((w) => [w.name, w.version]));
})();

export function makeEnvelope(input: EnvelopeInput): Envelope {
  const runId = input.runId ?? newRunId();
  const tenantId = input.tenantId ?? TENANT;
  const triggerId = input.triggerId ?? `trg_${ulid()}`;
  return {
    meta: {
      workflow_name: input.workflow,
      workflow_version: input.version ?? REFERENCE_VERSIONS.get(input.workflow) ?? '1.0.0',
      workflow_run_id: runId,
      parent_run_id: null,
      root_run_id: runId,
      idempotency_key: keyForEnvelope({ tenant_id: tenantId, workflow_name: input.workflow, trigger_id: triggerId, payload: input.payload }),
      trigger_source: 'webhook',
      trigger_id: triggerId,
      timestamp_utc: new Date().toISOString(),
      tenant_id: tenantId,
      environment: 'staging',
      privacy_mode: input.privacyMode ?? 'standard',
      correlation_id: newCorrelationId(),
    },
    subject: input.subject ?? {},
    payload: input.payload,
  };
}

/** Polls workflow_runs until the row exists and `until` holds (default: a final status). */
export async function waitForRun(
  db: Db,
  runId: string,
  until: (row: RunRow) => boolean = (r) => ['ok', 'noop', 'failed', 'blocked'].includes(r.status),
  timeoutMs = 20_000,
): Promise<RunRow> {
  const deadline = Date.now() + timeoutMs;
  let last: RunRow | undefined;
  while (Date.now() < deadline) {
    [last] = await db.sql<RunRow[]>`
      select workflow_run_id, status, failure_code, retry_count, latency_breach, run_output(workflow_runs) as output, idempotency_key
        from workflow_runs where workflow_run_id = ${runId}`;
    if (last && until(last)) return last;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`run ${runId} did not reach the expected state in ${timeoutMs} ms (last: ${last ? last.status : 'no row'})`);
}

export async function allowSms(db: Db, patientId: string): Promise<void> {
  await setConsent(db.sql, { tenantId: TENANT, subjectId: patientId, channel: 'sms', status: 'allow', source: 'test' });
}

/**
 * Every output the suite stored passes the contract schema (issue: "checked over all runs a suite produced"), as
 * readers get it: rebuilt whole from the row by run_output() (migration 0014).
 */
export async function invalidStoredOutputs(db: Db): Promise<{ run: string; issues: unknown }[]> {
  const rows = await db.sql<{ workflow_run_id: string; output: unknown }[]>`
    select workflow_run_id, run_output(workflow_runs) as output from workflow_runs where output is not null`;
  return rows
    .map((r) => ({ run: r.workflow_run_id, result: validateOutput(r.output) }))
    .filter((r) => !r.result.ok)
    .map((r) => ({ run: r.run, issues: r.result.ok ? null : r.result.issues }));
}

/** Removes every Redis key under a BullMQ prefix (what a test's own queues left). */
export async function deleteKeys(redis: Redis, prefix: string): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
