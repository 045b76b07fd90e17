/**
 * Traces over OTLP to an in-process collector: a root run and all its follow-ups form one trace,
 * from intake through each queue wait, attempt, convention node, vendor call and next action; the
 * spans carry ids and codes, never PHI. With no endpoint configured nothing is traced or carried.
 */
import { createApiKey } from '@revos/db';
import { toJobId } from '@revos/envelope';
import { loadProducerEnv, startBackgroundLoops, startProducerProcess, type ProducerProcess } from '@revos/producer';
import { createLogger, createTracing, dispatchPending, parseSpanContext, reconcileOnce, rerunSettledRun, submitRun } from '@revos/runtime';
import { trace as otel, type Tracer } from '@opentelemetry/api';
import { loadWorkerEnv, startWorkerProcess, type WorkerProcess } from '@revos/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allowSms, REDIS_URL, sleep, startHarness, TENANT, type Harness } from '../support/harness.js';
import { startOtlpCollector, type CollectedSpan, type OtlpCollector } from '../support/otlp-collector.js';
import { chainLeaf, chainMiddle, chainRoot } from './helpers.js';

const chain = [chainRoot, chainMiddle, chainLeaf];
const PHONE = '+15550007777';
const TEXT = 'Your appointment with Dr. Quinn is at 3pm';
let h: Harness;
let collector: OtlpCollector;
let worker: WorkerProcess | null = null;
let producer: ProducerProcess | null = null;
let apiKey: string;

beforeAll(async () => {
  h = await startHarness({ noWorkers: true, extraWorkflows: chain });
  collector = await startOtlpCollector();
  const shared = { DATABASE_URL: h.database.url, REDIS_URL, QUEUE_PREFIX: h.prefix, MIGRATE_ON_START: 'false', OTEL_EXPORTER_OTLP_ENDPOINT: collector.url };
  worker = await startWorkerProcess(
    loadWorkerEnv({ ...shared, HEALTH_PORT: '0', TWILIO_BASE_URL: h.vendor.url, PMS_BASE_URL: `${h.vendor.url}/pms`, TWILIO_AUTH_TOKEN: 'test-token', SHUTDOWN_TIMEOUT_MS: '2000' }),
    { log: createLogger({ level: 'silent' }), extraWorkflows: () => chain },
  );
  producer = await startProducerProcess(loadProducerEnv({ ...shared, PORT: '0', HOST: '127.0.0.1', DISPATCH_INTERVAL_MS: '100', PRUNE_INTERVAL_MS: '0' }), {
    log: createLogger({ level: 'silent' }),
    extraManifests: chain,
    startBackground: startBackgroundLoops,
  });
  apiKey = await createApiKey(h.db.sql, TENANT, 'traces-test');
  await allowSms(h.db, 'p_traced');
});
afterAll(async () => {
  await producer?.close();
  await worker?.close();
  await collector?.close();
  await h?.close();
});

async function post(body: unknown): Promise<string> {
  const res = await fetch(`${producer!.url}/v1/runs`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { workflow_run_id: string }).workflow_run_id;
}

async function lineageFinished(rootRunId: string, expected: number): Promise<void> {
  for (let i = 0; i < 600; i++) {
    const rows = await h.db.sql<{ status: string }[]>`select status from workflow_runs where root_run_id = ${rootRunId}`;
    if (rows.length === expected && rows.every((r) => r.status === 'ok')) return;
    await sleep(50);
  }
  throw new Error(`lineage of ${rootRunId} did not finish`);
}

/** The chain from a span up to its trace's root span (parents first). */
function ancestry(span: CollectedSpan, byId: Map<string, CollectedSpan>): CollectedSpan[] {
  const chainUp: CollectedSpan[] = [];
  let current: CollectedSpan | undefined = span;
  while (current) {
    chainUp.unshift(current);
    current = current.parentSpanId ? byId.get(current.parentSpanId) : undefined;
  }
  return chainUp;
}

/** The producer's sweep dispatches a parent's pending next actions: the trace id each child's job carries. */
async function sweptChildTraceIds(tracer: Tracer, parentRunId: string): Promise<(string | undefined)[]> {
  const resolutions = await dispatchPending({ ...h, log: h.deps.log, tracer }, { parentRunId });
  expect(resolutions.map((r) => r.state)).toEqual(['dispatched', 'dispatched']);
  const traceIds: (string | undefined)[] = [];
  for (const r of resolutions) {
    const [child] = await h.db.sql<{ idempotency_key: string }[]>`select idempotency_key from workflow_runs where workflow_run_id = ${r.state === 'dispatched' ? r.childRunId : ''}`;
    const childJob = await h.queues.interactive.getJob(toJobId(child!.idempotency_key));
    traceIds.push(otel.getSpanContext(parseSpanContext(childJob?.opts.telemetry?.metadata))?.traceId);
  }
  return traceIds;
}

describe('traces', () => {
  let rootRunId = '';
  let smsRunId = '';
  let spans: CollectedSpan[] = [];

  it('a root run and its follow-ups form one trace: intake, queue wait, attempt, nodes, next actions', async () => {
    rootRunId = await post({ meta: { workflow_name: chainRoot.name, trigger_source: 'ui', trigger_id: 'traced-chain-1', environment: 'staging', privacy_mode: 'standard' }, subject: {}, payload: { label: 'traced' } });
    smsRunId = await post({ meta: { workflow_name: 'WF30_Send_SMS', trigger_source: 'webhook', trigger_id: 'traced-sms-1', environment: 'staging', privacy_mode: 'standard' }, subject: { patient_id: 'p_traced' }, payload: { to: PHONE, body: TEXT } });
    await lineageFinished(rootRunId, 5);
    await lineageFinished(smsRunId, 1);
    // Closing flushes the batched spans of both processes to the collector.
    await producer!.close();
    await worker!.close();
    producer = null;
    worker = null;
    spans = collector.spans;

    const rootIntake = spans.find((s) => s.name === 'revos.intake' && s.attributes['revos.workflow_run_id'] === rootRunId);
    expect(rootIntake).toBeDefined();
    expect(rootIntake!.parentSpanId).toBeNull();
    expect(rootIntake).toMatchObject({ service: 'revos-producer', attributes: { 'revos.intake_source': 'api', 'revos.intake_status': 'queued', 'revos.workflow': chainRoot.name } });
    const trace = spans.filter((s) => s.traceId === rootIntake!.traceId);
    const byId = new Map(trace.map((s) => [s.spanId, s]));

    // Five runs, each one attempt, all in this trace.
    const runs = trace.filter((s) => s.name.startsWith('revos.run '));
    expect(runs.map((s) => s.attributes['revos.workflow']).sort()).toEqual([chainLeaf.name, chainLeaf.name, chainMiddle.name, chainMiddle.name, chainRoot.name].sort());
    const runIds = new Set(runs.map((s) => s.attributes['revos.workflow_run_id']));
    const [lineage] = [await h.db.sql<{ workflow_run_id: string }[]>`select workflow_run_id from workflow_runs where root_run_id = ${rootRunId}`];
    expect(runIds).toEqual(new Set(lineage!.map((r) => r.workflow_run_id)));
    for (const run of runs) {
      expect(run).toMatchObject({ service: 'revos-worker', attributes: { 'revos.status': 'ok', 'revos.root_run_id': rootRunId, 'revos.tenant_id': TENANT } });
      // Every span of the trace hangs from the root's intake: one tree, not five.
      expect(ancestry(run, byId)[0]).toBe(rootIntake);
      const nodes = trace.filter((s) => s.parentSpanId === run.spanId && s.name.startsWith('revos.node ')).sort((a, b) => Number(a.startNs - b.startNs));
      expect(nodes.map((n) => n.attributes['revos.node'])).toEqual([
        'validate_envelope',
        'compute_payload_hash',
        'idempotency_check',
        'load_tenant_entitlements',
        'consent_check',
        'core_logic',
        'build_standard_output',
      ]);
      for (const node of nodes) expect(node.endNs).toBeGreaterThanOrEqual(node.startNs);
    }
    // Each attempt was preceded by its queue wait, a sibling under the span that enqueued it.
    const waits = trace.filter((s) => s.name === 'revos.queue_wait');
    expect(waits).toHaveLength(5);
    for (const wait of waits) expect(runs.some((r) => r.parentSpanId === wait.parentSpanId && r.startNs >= wait.endNs - 1_000_000n)).toBe(true);

    // Four next actions (root → 2 middles, each middle → 1 leaf), each with the child's intake
    // (source dispatcher) under it. The worker that finished the parent dispatches under the
    // parent's attempt; when the producer's sweep got there first, it continues from the context
    // the parent's job carried, so the action is the attempt's sibling: one trace either way.
    const actions = trace.filter((s) => s.name === 'revos.next_action');
    expect(actions).toHaveLength(4);
    for (const action of actions) {
      const parentRun = runs.find((r) => r.attributes['revos.workflow_run_id'] === action.attributes['revos.parent_run_id']);
      expect(parentRun).toBeDefined();
      expect([parentRun!.spanId, parentRun!.parentSpanId]).toContain(action.parentSpanId);
      expect(action.attributes['revos.dispatch_state']).toBe('dispatched');
      const childIntake = trace.find((s) => s.name === 'revos.intake' && s.parentSpanId === action.spanId);
      expect(childIntake?.attributes['revos.intake_source']).toBe('dispatcher');
      expect(childIntake?.attributes['revos.parent_run_id']).toBe(action.attributes['revos.parent_run_id']);
    }
  }, 60_000);

  it('a vendor call is a client span under the core_logic node, with the service and its outcome', () => {
    const run = spans.find((s) => s.name === 'revos.run WF30_Send_SMS' && s.attributes['revos.workflow_run_id'] === smsRunId);
    expect(run).toBeDefined();
    const core = spans.find((s) => s.parentSpanId === run!.spanId && s.attributes['revos.node'] === 'core_logic');
    const call = spans.find((s) => s.name === 'revos.vendor_call' && s.parentSpanId === core?.spanId);
    expect(call).toMatchObject({ kind: 3 /* CLIENT */, attributes: { 'revos.service': 'twilio', 'revos.endpoint': 'messages.create', 'revos.effect': 'sms.send', 'revos.success': true } });
    // The SMS run is a trace of its own: another root, another trace.
    expect(run!.traceId).not.toBe(spans.find((s) => s.attributes['revos.workflow_run_id'] === rootRunId)!.traceId);
  });

  it('spans carry ids and codes, never PHI: no phone number, message text or trigger id reaches the collector', () => {
    const sent = collector.bodies.join('\n');
    expect(sent).toContain(smsRunId);
    for (const secret of [PHONE, TEXT, 'Dr. Quinn', 'traced-sms-1', 'traced-chain-1', 'idem:']) expect(sent).not.toContain(secret);
    const keys = new Set(spans.flatMap((s) => Object.keys(s.attributes)));
    for (const key of keys) expect(key).toMatch(/^revos\.[a-z_]+$/);
  });

  it('with no OTEL_EXPORTER_OTLP_ENDPOINT tracing is off: nothing records, and jobs carry no trace context', async () => {
    const off = await createTracing({ serviceName: 'revos-worker' });
    expect(off.enabled).toBe(false);
    expect(off.tracer.startSpan('probe').isRecording()).toBe(false);
    expect(loadWorkerEnv({}).OTEL_EXPORTER_OTLP_ENDPOINT).toBeUndefined();
    expect(() => loadWorkerEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toThrow(/OTEL_EXPORTER_OTLP_ENDPOINT/);
    // The harness's intake has no tracer, as a producer without the setting.
    const envelope = h.envelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'staff.note_added', direction: 'internal', attributes: {} } });
    await submitRun(h, envelope, { source: 'api' });
    const job = await h.queues.batch.getJob(toJobId(envelope.meta.idempotency_key));
    expect(job?.opts.telemetry).toBeUndefined();
  });

  it("a follow-up the producer's sweep dispatches (its parent's worker gone) joins the parent's trace through the parent's job", async () => {
    const sweepCollector = await startOtlpCollector();
    const tracing = await createTracing({ endpoint: sweepCollector.url, serviceName: 'revos-producer' });
    try {
      const root = h.envelope({ workflow: chainRoot.name, payload: { label: 'swept' } });
      await submitRun({ ...h, tracer: tracing.tracer }, root, { source: 'api' });
      const carried = (await h.queues.interactive.getJob(toJobId(root.meta.idempotency_key)))?.opts.telemetry?.metadata;
      const rootTraceId = otel.getSpanContext(parseSpanContext(carried))?.traceId;
      expect(rootTraceId).toMatch(/^[0-9a-f]{32}$/);
      // The harness's workers do not dispatch at once: the root's two next actions wait in the outbox.
      await h.startWorkers();
      expect((await h.waitForRun(root.meta.workflow_run_id)).status).toBe('ok');
      expect(await sweptChildTraceIds(tracing.tracer, root.meta.workflow_run_id)).toEqual([rootTraceId, rootTraceId]);
      await tracing.shutdown();
      const intake = sweepCollector.spans.find((s) => s.name === 'revos.intake' && s.attributes['revos.workflow_run_id'] === root.meta.workflow_run_id);
      const actions = sweepCollector.spans.filter((s) => s.name === 'revos.next_action');
      expect(actions).toHaveLength(2);
      for (const action of actions) expect(action).toMatchObject({ traceId: rootTraceId, parentSpanId: intake!.spanId });
    } finally {
      await tracing.shutdown();
      await sweepCollector.close();
    }
  });

  it("a follow-up the sweep dispatches after its parent's job left Redis still joins the parent's trace, through the parent's intake record", async () => {
    const tracing = await createTracing({ endpoint: collector.url, serviceName: 'revos-producer' });
    try {
      const root = h.envelope({ workflow: chainRoot.name, payload: { label: 'swept-late' } });
      await submitRun({ ...h, tracer: tracing.tracer }, root, { source: 'api' });
      const rootJob = await h.queues.interactive.getJob(toJobId(root.meta.idempotency_key));
      const rootTraceId = otel.getSpanContext(parseSpanContext(rootJob?.opts.telemetry?.metadata))?.traceId;
      expect(rootTraceId).toMatch(/^[0-9a-f]{32}$/);
      expect((await h.waitForRun(root.meta.workflow_run_id)).status).toBe('ok');
      // Finished jobs leave Redis (removeOnComplete, or a Redis restart); the outbox still holds the actions.
      await (await h.queues.interactive.getJob(toJobId(root.meta.idempotency_key)))!.remove();
      expect(await sweptChildTraceIds(tracing.tracer, root.meta.workflow_run_id)).toEqual([rootTraceId, rootTraceId]);
    } finally {
      await tracing.shutdown();
    }
  });

  it('a run the reconciler or a staff settlement re-enqueues after Redis lost its job continues the trace it began in', async () => {
    const requeueCollector = await startOtlpCollector();
    const tracing = await createTracing({ endpoint: requeueCollector.url, serviceName: 'revos-producer' });
    try {
      // Due in an hour: no worker takes them while the test plays Redis losing their jobs.
      const runAfter = new Date(Date.now() + 3_600_000);
      const lost = [1, 2].map((n) => h.envelope({ workflow: chainRoot.name, payload: { label: `requeued-${n}` } }));
      for (const e of lost) await submitRun({ ...h, tracer: tracing.tracer }, e, { source: 'api', runAfter });
      const jobOf = (e: (typeof lost)[number]) => h.queues.interactive.getJob(toJobId(e.meta.idempotency_key));
      const traceOf = (metadata: unknown) => otel.getSpanContext(parseSpanContext(metadata));
      const first = await Promise.all(lost.map(async (e) => traceOf((await jobOf(e))?.opts.telemetry?.metadata)!));
      for (const e of lost) await (await jobOf(e))!.remove();

      // The reconciler's sweep (graceMs 0: the runs were just accepted) and a settlement's re-run.
      const swept = await reconcileOnce({ ...h, log: h.deps.log, tracer: tracing.tracer }, { graceMs: 0 });
      expect(swept.reenqueued).toBeGreaterThanOrEqual(2);
      await (await jobOf(lost[1]!))!.remove();
      expect(await rerunSettledRun({ ...h, tracer: tracing.tracer }, lost[1]!.meta.workflow_run_id)).toMatchObject({ ok: true, repair: 'enqueued' });

      await tracing.shutdown();
      for (const [i, e] of lost.entries()) {
        const carried = traceOf((await jobOf(e))?.opts.telemetry?.metadata);
        // The same trace as the run's intake, under a requeue span of its own (not the intake's span).
        expect(carried?.traceId).toBe(first[i]!.traceId);
        expect(carried?.spanId).not.toBe(first[i]!.spanId);
        const intake = requeueCollector.spans.find((s) => s.name === 'revos.intake' && s.attributes['revos.workflow_run_id'] === e.meta.workflow_run_id);
        const requeues = requeueCollector.spans.filter((s) => s.name === 'revos.requeue' && s.attributes['revos.workflow_run_id'] === e.meta.workflow_run_id);
        for (const requeue of requeues) {
          expect(requeue).toMatchObject({ traceId: first[i]!.traceId, parentSpanId: intake!.spanId, attributes: { 'revos.workflow': chainRoot.name, 'revos.requeue_repair': 'enqueued' } });
        }
        expect(requeues.find((s) => s.spanId === carried?.spanId)?.attributes['revos.requeue_reason']).toBe(i === 0 ? 'reconciler' : 'settlement');
      }

      // A producer without tracing re-enqueues with the context the run began with, as it was.
      await (await jobOf(lost[0]!))!.remove();
      await reconcileOnce({ ...h, log: h.deps.log }, { graceMs: 0 });
      const untraced = traceOf((await jobOf(lost[0]!))?.opts.telemetry?.metadata);
      expect(untraced).toMatchObject({ traceId: first[0]!.traceId, spanId: first[0]!.spanId });
    } finally {
      await tracing.shutdown();
      await requeueCollector.close();
    }
  });

  it("a reopened run whose finished job is replaced (a stale job) continues that job's trace, even without the intake record's copy", async () => {
    const requeueCollector = await startOtlpCollector();
    const tracing = await createTracing({ endpoint: requeueCollector.url, serviceName: 'revos-producer' });
    try {
      const run = h.envelope({ workflow: 'WF11_Log_Event', payload: { event_type: 'staff.note_added', direction: 'internal', attributes: {} } });
      await submitRun({ ...h, tracer: tracing.tracer }, run, { source: 'api' });
      expect((await h.waitForRun(run.meta.workflow_run_id)).status).toBe('ok');
      const jobOf = () => h.queues.batch.getJob(toJobId(run.meta.idempotency_key));
      await expect.poll(async () => (await jobOf())?.finishedOn ?? 0).toBeGreaterThan(0);
      const first = otel.getSpanContext(parseSpanContext((await jobOf())?.opts.telemetry?.metadata))!;
      // Reopened as a not_sent settlement leaves it; the intake record's copy of the context is gone (an older row).
      await h.db.sql`update workflow_runs set status = 'queued' where workflow_run_id = ${run.meta.workflow_run_id}`;
      await h.db.sql`update accepted_runs set settled_at = null, trace_context = null where workflow_run_id = ${run.meta.workflow_run_id}`;
      expect(await rerunSettledRun({ ...h, tracer: tracing.tracer }, run.meta.workflow_run_id)).toMatchObject({ ok: true, repair: 'replaced_stale' });
      const carried = otel.getSpanContext(parseSpanContext((await jobOf())?.opts.telemetry?.metadata));
      expect(carried?.traceId).toBe(first.traceId);
      await tracing.shutdown();
      const requeue = requeueCollector.spans.find((s) => s.name === 'revos.requeue' && s.spanId === carried?.spanId);
      expect(requeue).toMatchObject({ traceId: first.traceId, parentSpanId: first.spanId, attributes: { 'revos.requeue_reason': 'settlement', 'revos.requeue_repair': 'replaced_stale' } });
    } finally {
      await tracing.shutdown();
      await requeueCollector.close();
    }
  });
});
