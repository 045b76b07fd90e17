/**
 * Deploys never fail a queued run (issue 24, item 4): 1,000 runs accepted under WF77@1.0.0, the
 * workers restarted on a release whose WF77 is 2.0.0 with 1.0.0 retired (an upgrade to 2.0.0): no
 * `unknown_workflow`, each run handled once and texted once, the rest of its identity (key, ledger,
 * version on the run row) unchanged. And a worker whose release dropped a version queued runs still
 * name says so at start (a warn line) and in its metrics.
 */
import { Writable } from 'node:stream';
import { createLogger, defineManifest, defineWorkflow, retiredVersion, submitRun, VERSION_UPGRADED_EVENT, WorkflowCatalog, type AnyWorkflow, type RunContext } from '@revos/runtime';
import { loadWorkerEnv, startWorkerProcess, type WorkerProcess } from '@revos/worker';
import type { WorkflowServices } from '@revos/workflows';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { REDIS_URL, sleep, startHarness, TENANT_CONFIG, type Harness } from '../support/harness.js';

const NAME = 'WF77_Versioned_Note';
const RUNS = 1_000;

/** Which version's handler ran each note (by n), and how often: exactly once is one entry of one. */
const handled = new Map<number, string[]>();

function noteOnce(services: WorkflowServices, ctx: RunContext<unknown>, n: number, version: string, text: string) {
  (handled.get(n) ?? handled.set(n, []).get(n)!).push(version);
  return ctx.effect('note.send', { service: 'twilio', endpoint: 'messages.create', eventType: 'sms.sent', eventPayload: () => ({ n }) }, ({ signal, idempotencyToken }) =>
    services.sms.sendMessage({ to: '+15550007777', from: TENANT_CONFIG.sms_from, body: text }, { signal, idempotencyToken, tenantId: ctx.envelope.meta.tenant_id }),
  );
}

const v1Manifest = defineManifest({ name: NAME, version: '1.0.0', lane: 'batch', payload: z.object({ n: z.number().int(), text: z.string() }) });
const v1 = (services: WorkflowServices) =>
  defineWorkflow({
    ...v1Manifest,
    async run(ctx) {
      await noteOnce(services, ctx, ctx.payload.n, '1.0.0', ctx.payload.text);
      return { summary: 'noted', primary_outputs: { handled_by: '1.0.0' } };
    },
  });
// 2.0.0 renames `text` to `body` and adds a field: 1.0.0's payloads do not fit it as they are.
const v2 = (services: WorkflowServices) =>
  defineWorkflow({
    name: NAME,
    version: '2.0.0',
    lane: 'batch',
    payload: z.object({ n: z.number().int(), body: z.string(), format: z.enum(['plain', 'short']) }),
    async run(ctx) {
      await noteOnce(services, ctx, ctx.payload.n, '2.0.0', ctx.payload.body);
      return { summary: 'noted', primary_outputs: { handled_by: '2.0.0', format: ctx.payload.format } };
    },
  });
const v1Retired = retiredVersion(v1Manifest, { upgradeTo: '2.0.0', upgrade: (p) => ({ n: p.n, body: p.text, format: 'plain' }) });

/** A realtime workflow whose 1.0.0 a release drops without keeping or retiring it (what the start check reports). */
const probe = (version: string) =>
  defineWorkflow({ name: 'WF78_Versioned_Probe', version, lane: 'realtime', channel: 'voice', payload: z.object({ caller_note: z.string() }), run: async () => ({ summary: 'probe', primary_outputs: { handled_by: version } }) });
const [probeV1, probeV2, probeV3] = [probe('1.0.0'), probe('2.0.0'), probe('3.0.0')];

/** A retired version whose upgrade is wrong (it forgets a field 2.0.0 requires). */
const badV1 = defineManifest({ name: 'WF74_Versioned_Bad_Upgrade', version: '1.0.0', lane: 'batch', payload: z.object({ a: z.string() }) });
const badV2 = defineWorkflow({ name: 'WF74_Versioned_Bad_Upgrade', version: '2.0.0', lane: 'batch', payload: z.object({ a: z.string(), b: z.string() }), run: async () => ({ summary: 'never' }) });
const badRetired = retiredVersion(badV1, { upgradeTo: '2.0.0', upgrade: (p) => ({ a: p.a }) });

let h: Harness;
const started: WorkerProcess[] = [];
beforeAll(async () => {
  // The harness is release A's producer (its catalog: WF77@1.0.0); it starts no workers itself.
  h = await startHarness({ extraWorkflows: [v1(noServices()), probeV1, defineWorkflow({ ...badV1, run: async () => ({ summary: 'release A' }) })], noWorkers: true });
});
afterAll(async () => {
  for (const w of started) await w.close();
  await h?.close();
});

/** Manifests only: the harness never runs a handler (noWorkers). */
function noServices(): WorkflowServices {
  return {} as WorkflowServices;
}

interface Release {
  workflows: (services: WorkflowServices) => AnyWorkflow[];
  lanes: string;
  concurrency?: number;
  lines?: Record<string, unknown>[];
}

async function startRelease(release: Release): Promise<WorkerProcess> {
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line.trim()) release.lines?.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const w = await startWorkerProcess(
    loadWorkerEnv({
      DATABASE_URL: h.database.url,
      REDIS_URL,
      QUEUE_PREFIX: h.prefix,
      MIGRATE_ON_START: 'false',
      HEALTH_PORT: '0',
      WORKER_LANES: release.lanes,
      CONCURRENCY_BATCH: String(release.concurrency ?? 16),
      TWILIO_BASE_URL: h.vendor.url,
      PMS_BASE_URL: `${h.vendor.url}/pms`,
      TWILIO_AUTH_TOKEN: 'test-token',
      SHUTDOWN_TIMEOUT_MS: '10000',
    }),
    { log: createLogger({ level: 'info', destination: sink }), extraWorkflows: release.workflows },
  );
  started.push(w);
  return w;
}

async function countRuns(status: string[]): Promise<number> {
  const [row] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from workflow_runs where workflow_name = ${NAME} and status = any(${status})`;
  return row!.n;
}

async function waitUntil(what: string, ok: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(`${what}: not reached in ${timeoutMs} ms`);
    await sleep(50);
  }
}

describe('deploys never fail a queued run', () => {
  it(`${RUNS} runs queued under 1.0.0 all complete once after the workers restart on a release whose 1.0.0 is retired into 2.0.0`, async () => {
    const envelopes = Array.from({ length: RUNS }, (_, n) => h.envelope({ workflow: NAME, version: '1.0.0', payload: { n, text: `note ${n} for Jane Roe` } }));
    for (const e of envelopes) await submitRun(h, e, { source: 'api' });
    expect(await countRuns(['queued'])).toBe(RUNS);

    // Release A's worker takes a few, then is stopped for the deploy (it drains what it holds).
    const a = await startRelease({ workflows: (s) => [v1(s)], lanes: 'batch', concurrency: 1 });
    await waitUntil('release A ran a few', async () => (await countRuns(['ok'])) >= 5);
    await a.close();
    const byA = await countRuns(['ok']);
    expect(byA).toBeLessThan(RUNS);

    // Release B: two replicas that know 2.0.0 and 1.0.0 only as retired.
    const linesB: Record<string, unknown>[] = [];
    const b1 = await startRelease({ workflows: (s) => [v1Retired, v2(s)], lanes: 'batch', lines: linesB });
    await startRelease({ workflows: (s) => [v1Retired, v2(s)], lanes: 'batch' });
    // B's producer: new runs get 2.0.0 and need no upgrade.
    const producerB = { db: h.db, queues: h.queues, privacy: h.privacy, catalog: new WorkflowCatalog([...h.catalog.list().filter((w) => w.name !== NAME), v1Retired, v2(noServices())]) };
    const fresh = Array.from({ length: 20 }, (_, i) => h.envelope({ workflow: NAME, version: producerB.catalog.latest(NAME)!.version, payload: { n: RUNS + i, body: 'fresh', format: 'short' } }));
    for (const e of fresh) await submitRun(producerB, e, { source: 'api' });

    await waitUntil('every run finished', async () => (await countRuns(['ok', 'noop', 'failed', 'blocked'])) === RUNS + fresh.length);
    const rows = await h.db.sql<{ workflow_run_id: string; status: string; failure_code: string | null; workflow_version: string; idempotency_key: string; handled_by: string; upgrades: number }[]>`
      select r.workflow_run_id, r.status, r.failure_code, r.workflow_version, r.idempotency_key, r.output->'result'->'primary_outputs'->>'handled_by' as handled_by,
             (select count(*)::int from events e where e.idempotency_key = r.idempotency_key and e.event_type = ${VERSION_UPGRADED_EVENT}) as upgrades
        from workflow_runs r where r.workflow_name = ${NAME}`;
    expect(rows.filter((r) => r.failure_code !== null)).toEqual([]);
    expect(rows.every((r) => r.status === 'ok')).toBe(true);

    // Old runs keep their version and key; those B ran were upgraded, each with one event saying so.
    const old = new Map(envelopes.map((e) => [e.meta.workflow_run_id, e.meta.idempotency_key]));
    const oldRows = rows.filter((r) => old.has(r.workflow_run_id));
    expect(oldRows).toHaveLength(RUNS);
    expect(oldRows.every((r) => r.workflow_version === '1.0.0' && r.idempotency_key === old.get(r.workflow_run_id))).toBe(true);
    const upgraded = oldRows.filter((r) => r.handled_by === '2.0.0');
    expect(upgraded.length).toBe(RUNS - byA);
    expect(upgraded.every((r) => r.upgrades === 1)).toBe(true);
    expect(oldRows.filter((r) => r.handled_by === '1.0.0').every((r) => r.upgrades === 0)).toBe(true);
    const freshRows = rows.filter((r) => !old.has(r.workflow_run_id));
    expect(freshRows.every((r) => r.workflow_version === '2.0.0' && r.handled_by === '2.0.0' && r.upgrades === 0)).toBe(true);

    // Exactly once: each note handled by one handler once, one text each, the ledger complete for every key.
    expect(handled.size).toBe(RUNS + fresh.length);
    expect([...handled.values()].filter((v) => v.length !== 1)).toEqual([]);
    expect(h.vendor.countFor('sms')).toBe(RUNS + fresh.length);
    const [ledger] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from idempotency_keys where workflow_name = ${NAME} and state = 'completed'`;
    expect(ledger!.n).toBe(RUNS + fresh.length);

    // B served every version queued runs named: no warning, no unserved series.
    expect(linesB.filter((l) => l.workflow_version !== undefined)).toEqual([]);
    expect(await b1.metrics.registry.getSingleMetricAsString('revos_workflow_version_unserved_runs')).not.toMatch(/WF77/);
  });

  it('a worker starting without a version queued runs still name warns (workflow@version, count, no PHI) and exports it as a metric', async () => {
    for (let i = 0; i < 3; i++) await submitRun(h, h.envelope({ workflow: probeV1.name, version: '1.0.0', payload: { caller_note: `Jane Roe +15551234567 #${i}` } }), { source: 'api' });
    // Serving batch only, so the realtime runs stay queued for a worker that still knows 1.0.0.
    const lines: Record<string, unknown>[] = [];
    const w = await startRelease({ workflows: (s) => [v1Retired, v2(s), probeV2], lanes: 'batch', lines });
    const warnings = lines.filter((l) => l.workflow_version !== undefined);
    expect(warnings).toEqual([expect.objectContaining({ level: 'warn', workflow_version: 'WF78_Versioned_Probe@1.0.0', unfinished_runs: 3 })]);
    expect(warnings[0]!.msg).toMatch(/does not serve/);
    const text = JSON.stringify(lines);
    expect(text).not.toContain('Jane');
    expect(text).not.toContain('5551234567');
    // Said before the worker said it started: before any lane could take one of those runs.
    expect(lines.findIndex((l) => l.workflow_version !== undefined)).toBeLessThan(lines.findIndex((l) => l.msg === 'worker started'));

    const metric = await w.metrics.registry.getSingleMetricAsString('revos_workflow_version_unserved_runs');
    expect(metric).toContain('revos_workflow_version_unserved_runs{workflow="WF78_Versioned_Probe",version="1.0.0"} 3');
  });

  it('a release that keeps 1.0.0 whole beside 2.0.0 runs the queued 1.0.0 runs with their own handler, and does not warn', async () => {
    const lines: Record<string, unknown>[] = [];
    await startRelease({ workflows: (s) => [v1Retired, v2(s), probeV1, probeV2], lanes: 'realtime', lines });
    expect(lines.filter((l) => l.workflow_version !== undefined)).toEqual([]);
    await waitUntil('the probes ran', async () => {
      const [row] = await h.db.sql<{ n: number }[]>`select count(*)::int as n from workflow_runs where workflow_name = ${probeV1.name} and status = 'ok'`;
      return row!.n === 3;
    });
    const rows = await h.db.sql<{ handled_by: string; failure_code: string | null }[]>`
      select output->'result'->'primary_outputs'->>'handled_by' as handled_by, failure_code from workflow_runs where workflow_name = ${probeV1.name}`;
    expect(rows).toEqual(Array.from({ length: 3 }, () => ({ handled_by: '1.0.0', failure_code: null })));
  });

  it('mid-rollout, a run of a newer release waits on an older worker (no attempt spent, not failed) until a newer worker runs it', async () => {
    // Release C's producer is out first; the realtime worker above still runs release B (1.0.0 and 2.0.0).
    const producerC = { db: h.db, queues: h.queues, privacy: h.privacy, catalog: new WorkflowCatalog([...h.catalog.list(), probeV2, probeV3]) };
    const ahead = h.envelope({ workflow: probeV3.name, version: '3.0.0', payload: { caller_note: 'ahead' } });
    const { job_id } = await submitRun(producerC, ahead, { source: 'api' });
    // Looked at by the older worker and put back (delayed), or ended by it (failed): either way settled for now.
    await waitUntil('the older worker looked at it', async () => {
      const job = await h.queues.realtime.getJob(job_id);
      return (job?.attemptsStarted ?? 0) >= 1 && ['delayed', 'failed', 'completed'].includes((await job?.getState()) ?? '');
    });
    expect(await (await h.queues.realtime.getJob(job_id))?.getState()).toMatch(/^(delayed|waiting|active)$/);
    const [row] = await h.db.sql<{ status: string }[]>`select status from workflow_runs where workflow_run_id = ${ahead.meta.workflow_run_id}`;
    expect(row?.status).toBe('queued');
    expect((await h.queues.realtime.getJob(job_id))?.attemptsMade).toBe(0);
    // A job naming a future version that intake never accepted does not wait: it is refused like any forged job.
    const forged = h.envelope({ workflow: probeV3.name, version: '3.0.0', payload: { caller_note: 'forged' } });
    await h.queues.realtime.add(probeV3.name, forged, { jobId: 'forged-newer', attempts: 3 });
    await expect.poll(async () => (await h.queues.realtime.getJob('forged-newer'))?.isFailed(), { timeout: 20_000 }).toBe(true);
    expect((await h.queues.realtime.getJob('forged-newer'))?.failedReason).toMatch(/^not_accepted/);

    await startRelease({ workflows: (s) => [v1Retired, v2(s), probeV1, probeV2, probeV3], lanes: 'realtime' });
    const done = await h.waitForRun(ahead.meta.workflow_run_id, undefined, 60_000);
    expect(done).toMatchObject({ status: 'ok', failure_code: null });
    expect(done.output?.result.primary_outputs).toMatchObject({ handled_by: '3.0.0' });
  });

  it('an upgrade that yields a payload the newer version refuses fails the run invalid_input, naming the field (no retry, no handler call)', async () => {
    // Only this release's worker on the batch lane: the earlier ones' releases do not know WF74 at all.
    for (const w of started.splice(0)) await w.close();
    const bad = h.envelope({ workflow: badV1.name, version: '1.0.0', payload: { a: 'x' } });
    await submitRun(h, bad, { source: 'api' });
    await startRelease({ workflows: () => [badRetired, badV2], lanes: 'batch' });
    const done = await h.waitForRun(bad.meta.workflow_run_id, undefined, 60_000);
    expect(done).toMatchObject({ status: 'failed', failure_code: 'invalid_input', retry_count: 0 });
    expect(done.output?.meta_out.failure_reason).toContain("WF74_Versioned_Bad_Upgrade@1.0.0 upgraded to 2.0.0 does not fit 2.0.0's payload (payload.b: ");
  });
});
