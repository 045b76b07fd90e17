/**
 * The core flow on a three-master Redis Cluster with a hash-tagged prefix, through the real
 * processes' wiring (REDIS_CLUSTER_NODES): intake through the API, workers, follow-ups, a vendor
 * call, duplicates at every layer, and the reconciler re-enqueueing a run whose enqueue failed.
 */
import { createApiKey } from '@revos/db';
import { toJobId } from '@revos/envelope';
import { loadProducerEnv, startBackgroundLoops, startProducerProcess, type ProducerProcess } from '@revos/producer';
import { closeLaneQueues, createLaneQueues, createLogger, createRedisConnection, enqueueRun, reconcileOnce, submitRun, WorkflowCatalog, type LaneQueues, type RedisConnection } from '@revos/runtime';
import { loadWorkerEnv, startWorkerProcess, type WorkerProcess } from '@revos/worker';
import { Cluster, Redis } from 'ioredis';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, sleep, startHarness, TENANT, type Harness } from '../support/harness.js';
import { startRedisCluster, type RedisCluster } from '../support/redis-cluster.js';
import { chainLeaf, chainMiddle, chainRoot } from '../ops/helpers.js';

const chain = [chainRoot, chainMiddle, chainLeaf];
let cluster: RedisCluster;
let h: Harness;
let worker: WorkerProcess;
let producer: ProducerProcess;
let connection: RedisConnection;
let queues: LaneQueues;
let apiKey: string;
const prefix = `{revos-cl-${ulid().toLowerCase()}}`;

beforeAll(async () => {
  cluster = await startRedisCluster(3);
  h = await startHarness({ noWorkers: true, extraWorkflows: chain });
  const shared = { DATABASE_URL: h.database.url, REDIS_CLUSTER_NODES: cluster.urls.join(','), QUEUE_PREFIX: prefix, MIGRATE_ON_START: 'false' };
  worker = await startWorkerProcess(
    loadWorkerEnv({ ...shared, HEALTH_PORT: '0', TWILIO_BASE_URL: h.vendor.url, PMS_BASE_URL: `${h.vendor.url}/pms`, TWILIO_AUTH_TOKEN: 'test-token', SHUTDOWN_TIMEOUT_MS: '2000' }),
    { log: createLogger({ level: 'silent' }), extraWorkflows: () => chain },
  );
  producer = await startProducerProcess(
    // The reconciler is driven by the test below; the dispatcher sweep runs as in production.
    loadProducerEnv({ ...shared, PORT: '0', HOST: '127.0.0.1', DISPATCH_INTERVAL_MS: '100', RECONCILE_INTERVAL_MS: '600000', PRUNE_INTERVAL_MS: '0' }),
    { log: createLogger({ level: 'silent' }), extraManifests: chain, startBackground: startBackgroundLoops },
  );
  // The test's own handle on the cluster's queues, wired as the processes wire theirs.
  connection = createRedisConnection({ REDIS_URL: 'redis://unused', REDIS_CLUSTER_NODES: cluster.urls }, { maxRetriesPerRequest: null });
  queues = createLaneQueues(connection, prefix);
  apiKey = await createApiKey(h.db.sql, TENANT, 'cluster-test');
  await allowSms(h.db, 'p_cluster');
}, 120_000);
afterAll(async () => {
  await producer?.close();
  await worker?.close();
  if (queues) await closeLaneQueues(queues);
  await connection?.quit().catch(() => connection.disconnect());
  await h?.close();
  await cluster?.stop();
});

async function post(body: unknown): Promise<{ status: number; json: { status: string; workflow_run_id: string; idempotency_key: string } }> {
  const res = await fetch(`${producer.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: (await res.json()) as never };
}

async function treeStatuses(rootRunId: string, expected: number): Promise<string[]> {
  for (let i = 0; i < 600; i++) {
    const rows = await h.db.sql<{ status: string }[]>`select status from workflow_runs where root_run_id = ${rootRunId} order by accepted_at`;
    if (rows.length === expected && rows.every((r) => ['ok', 'noop', 'failed', 'blocked'].includes(r.status))) return rows.map((r) => r.status);
    await sleep(50);
  }
  throw new Error(`lineage of ${rootRunId} did not finish`);
}

describe('on a three-master Redis Cluster with a hash-tagged prefix', () => {
  it('runs a root and its follow-ups from the API to the workers, every queue key in one slot of one master', async () => {
    const submitted = await post({ meta: { workflow_name: chainRoot.name, trigger_source: 'ui', trigger_id: 'cluster-chain-1', environment: 'staging', privacy_mode: 'standard' }, subject: {}, payload: { label: 'cluster' } });
    expect(submitted.status).toBe(202);
    // root → two middles → a leaf under each: five runs, one trace of lineage.
    expect(await treeStatuses(submitted.json.workflow_run_id, 5)).toEqual(['ok', 'ok', 'ok', 'ok', 'ok']);

    // Every key of the prefix hashes to the tag's slot, so it lives on exactly one master.
    const perNode = await Promise.all(cluster.ports.map(async (port) => {
      const node = new Redis(port, '127.0.0.1');
      try {
        let cursor = '0';
        let n = 0;
        do {
          const [next, keys] = await node.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
          cursor = next;
          n += keys.length;
        } while (cursor !== '0');
        return n;
      } finally {
        node.disconnect();
      }
    }));
    expect(perNode.filter((n) => n > 0)).toHaveLength(1);
    expect(Math.max(...perNode)).toBeGreaterThan(0);
  });

  it('sends one text for a trigger delivered again at the API, again into BullMQ, and again after its job left Redis', async () => {
    const body = { meta: { workflow_name: 'WF30_Send_SMS', trigger_source: 'webhook', trigger_id: 'cluster-sms-1', environment: 'staging', privacy_mode: 'standard' }, subject: { patient_id: 'p_cluster' }, payload: { to: '+15550004444', body: 'once on a cluster' } };
    const first = await post(body);
    expect(first.status).toBe(202);
    expect(await treeStatuses(first.json.workflow_run_id, 1)).toEqual(['ok']);
    // The intake layer: the same request again.
    const again = await post(body);
    expect(again).toMatchObject({ status: 200, json: { status: 'duplicate', workflow_run_id: first.json.workflow_run_id } });

    // The jobId layer: the job is still in the cluster, so BullMQ keeps the one it has.
    const jobId = toJobId(first.json.idempotency_key);
    const [stored] = await h.db.sql<{ envelope: never }[]>`select run_envelope(workflow_runs) as envelope from workflow_runs where workflow_run_id = ${first.json.workflow_run_id}`;
    const catalog = new WorkflowCatalog(h.catalog.list());
    const before = await queues.interactive.getJobCounts('waiting', 'active', 'completed');
    await enqueueRun(queues, catalog, stored!.envelope);
    expect(await queues.interactive.getJobCounts('waiting', 'active', 'completed')).toEqual(before);
    expect((await queues.interactive.getJob(jobId))?.finishedOn).toBeTypeOf('number');

    // The ledger layer: the job gone from Redis, a redelivery of the run is a noop.
    await queues.interactive.remove(jobId);
    await enqueueRun(queues, catalog, stored!.envelope);
    // The same run again: the ledger answers noop and the run's row stays as it finished.
    await expect.poll(async () => ((await queues.interactive.getJob(jobId))?.returnvalue as { status?: string } | null)?.status, { timeout: 10_000 }).toBe('noop');
    expect(h.vendor.countFor('sms')).toBe(1);
  });

  it('the reconciler re-enqueues on the cluster a run whose enqueue failed after intake recorded it', async () => {
    // A producer that lost Redis between its intake record and its enqueue (the API answers 500).
    const dead = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, enableOfflineQueue: false, retryStrategy: () => null });
    dead.on('error', () => {});
    const deadQueues = createLaneQueues(dead, prefix);
    for (const q of Object.values(deadQueues)) q.on('error', () => {}); // refused connections: the point of this queue
    const envelope = h.envelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'staff.note_added', direction: 'internal', attributes: { cluster: true } } });
    try {
      await expect(submitRun({ db: h.db, queues: deadQueues, catalog: h.catalog, privacy: h.privacy }, envelope, { source: 'api' })).rejects.toThrow();
    } finally {
      await closeLaneQueues(deadQueues).catch(() => {});
      dead.disconnect();
    }
    const [accepted] = await h.db.sql`select status from workflow_runs where workflow_run_id = ${envelope.meta.workflow_run_id}`;
    expect(accepted?.status).toBe('queued');
    expect(await queues.batch.getJob(toJobId(envelope.meta.idempotency_key))).toBeUndefined();

    const result = await reconcileOnce({ db: h.db, queues, catalog: h.catalog, privacy: h.privacy, log: h.deps.log }, { graceMs: 0 });
    expect(result.reenqueued).toBe(1);
    expect(await treeStatuses(envelope.meta.root_run_id, 1)).toEqual(['ok']);
    const events = await h.db.sql`select 1 from events where idempotency_key = ${envelope.meta.idempotency_key}`;
    expect(events).toHaveLength(1);
  });

  it('refuses to start on a cluster without a hash tag in QUEUE_PREFIX, naming the variable', () => {
    expect(() => loadWorkerEnv({ REDIS_CLUSTER_NODES: cluster.urls.join(','), QUEUE_PREFIX: 'revos' })).toThrow(/QUEUE_PREFIX: must contain a hash tag such as \{revos\}/);
    expect(() => loadProducerEnv({ REDIS_CLUSTER_NODES: cluster.urls.join(','), QUEUE_PREFIX: 'revos' })).toThrow(/QUEUE_PREFIX: must contain a hash tag/);
    expect(() => loadWorkerEnv({ REDIS_CLUSTER_NODES: 'http://127.0.0.1:7000' })).toThrow(/REDIS_CLUSTER_NODES/);
    expect(connection).toBeInstanceOf(Cluster);
  });
});
