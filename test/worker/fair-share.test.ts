/**
 * Fair share between tenants inside a lane (packages/runtime/src/queue/fair-share.ts): one practice's
 * backlog must not hold another's runs behind it, weights divide a busy lane, a tenant's own `high`
 * and `low` still order its work, and with FAIR_SHARE off the lane is first in, first out again.
 * Each case queues first (no worker running), then starts one worker of concurrency 1 and reads the
 * order the runs were taken in: an order, not a time, so the assertions do not depend on the machine.
 */
import { upsertTenant } from '@revos/db';
import { toJobId } from '@revos/envelope';
import { createLaneQueues, defineWorkflow, enqueueRun, readFairShareBacklog, runJobsFoundQueued, writeFairShareWeights, type LaneQueues } from '@revos/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startHarness, TENANT_CONFIG, type Harness } from '../support/harness.js';

const taken: { tenant: string; n: number; priority: string }[] = [];
const probe = defineWorkflow({
  name: 'WF90_Test_Fair_Probe',
  version: '1.0.0',
  lane: 'batch',
  payload: z.object({ n: z.number(), p: z.string() }),
  async run(ctx) {
    taken.push({ tenant: ctx.envelope.meta.tenant_id, n: ctx.payload.n, priority: ctx.payload.p });
    return { summary: 'probe' };
  },
});

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
  taken.length = 0;
});

async function fleet(): Promise<Harness> {
  h = await startHarness({ extraWorkflows: [probe], lanes: ['batch'], concurrency: 1, noWorkers: true });
  for (const tenant of ['t_busy', 't_quiet', 't_third']) await upsertTenant(h.db.sql, { tenantId: tenant, name: tenant, config: TENANT_CONFIG });
  return h;
}

async function queue(harness: Harness, tenant: string, count: number, from = 0, priority: 'high' | 'normal' | 'low' = 'normal', queues: LaneQueues = harness.queues): Promise<void> {
  for (let n = from; n < from + count; n += 1) {
    const envelope = harness.envelope({ workflow: probe.name, tenantId: tenant, payload: { n, p: priority }, triggerId: `${tenant}-${priority}-${n}` });
    await harness.accept(envelope, 'batch');
    await enqueueRun(queues, harness.catalog, envelope, { priority });
  }
}

async function drain(harness: Harness, total: number): Promise<void> {
  await harness.startWorkers();
  await expect.poll(() => taken.length, { timeout: 60_000, interval: 50 }).toBe(total);
}

/** How many of `busy`'s runs were taken before the first run of `tenant`. */
function takenBefore(tenant: string): number {
  return taken.findIndex((t) => t.tenant === tenant);
}

describe('fair share between tenants in a lane', () => {
  it("a practice's run waits for one run of a busy practice, not for its backlog", async () => {
    const harness = await fleet();
    await queue(harness, 't_busy', 300);
    await queue(harness, 't_quiet', 3);
    await drain(harness, 303);
    // The quiet practice's three runs come right at the start, alternating with the busy one's.
    expect(takenBefore('t_quiet')).toBeLessThanOrEqual(1);
    const quietPositions = taken.flatMap((t, i) => (t.tenant === 't_quiet' ? [i] : []));
    expect(quietPositions[2]).toBeLessThanOrEqual(6);
    // Each practice's own runs keep their order.
    const busy = taken.filter((t) => t.tenant === 't_busy').map((t) => t.n);
    expect(busy).toEqual([...busy].sort((a, b) => a - b));
  });

  it('a practice arriving while a backlog drains joins at the current round', async () => {
    const harness = await fleet();
    await queue(harness, 't_busy', 200);
    await harness.startWorkers();
    await expect.poll(() => taken.length, { timeout: 60_000, interval: 10 }).toBeGreaterThanOrEqual(50);
    const before = taken.length;
    await queue(harness, 't_quiet', 1);
    await expect.poll(() => taken.some((t) => t.tenant === 't_quiet'), { timeout: 60_000, interval: 20 }).toBe(true);
    // Enqueued mid-drain: taken after at most a few more of the busy practice's runs (one a round,
    // plus the one in flight when it arrived and the polling's own lag), far from the ~150 left.
    const busyBetween = taken.slice(before).filter((t) => t.tenant === 't_busy').length;
    expect(busyBetween).toBeLessThan(40);
    await expect.poll(() => taken.length, { timeout: 60_000, interval: 50 }).toBe(201);
  });

  it('weights divide a busy lane: weight 3 takes three runs for every one of weight 1', async () => {
    const harness = await fleet();
    await writeFairShareWeights(harness.queues.batch, harness.prefix, new Map([['t_busy', 3]]));
    await queue(harness, 't_busy', 120);
    await queue(harness, 't_quiet', 120);
    await drain(harness, 240);
    const firstHundred = taken.slice(0, 100);
    const busy = firstHundred.filter((t) => t.tenant === 't_busy').length;
    expect(busy).toBeGreaterThanOrEqual(72);
    expect(busy).toBeLessThanOrEqual(78);
  });

  it("a tenant's high runs pass its own backlog, and its low runs wait for its normal ones", async () => {
    const harness = await fleet();
    await queue(harness, 't_busy', 50, 0, 'normal');
    await queue(harness, 't_busy', 50, 100, 'low');
    await queue(harness, 't_busy', 5, 200, 'high');
    await drain(harness, 105);
    // The high runs take the tenant's turns from the first round on (beside its normal flow), not after the backlog.
    const highs = taken.flatMap((t, i) => (t.priority === 'high' ? [i] : []));
    expect(Math.max(...highs)).toBeLessThan(10);
    // Low runs start after the normal work the tenant had queued before them.
    const lastNormal = taken.map((t) => t.priority).lastIndexOf('normal');
    const firstLow = taken.findIndex((t) => t.priority === 'low');
    expect(firstLow).toBeGreaterThan(lastNormal);
  });

  it('reports each tenant\'s waiting runs per lane, and forgets them when the lane empties', async () => {
    const harness = await fleet();
    await queue(harness, 't_busy', 40);
    await queue(harness, 't_quiet', 2);
    const waiting = await readFairShareBacklog(harness.queues.batch, harness.prefix);
    expect(waiting.get('t_busy')).toBeGreaterThanOrEqual(39);
    expect(waiting.get('t_busy')).toBeLessThanOrEqual(40);
    expect(waiting.get('t_quiet')).toBeLessThanOrEqual(2);
    await drain(harness, 42);
    expect((await readFairShareBacklog(harness.queues.batch, harness.prefix)).size).toBe(0);
    // The next run after an empty lane starts the rounds again at 1.
    await queue(harness, 't_third', 1);
    const [job] = await harness.queues.batch.getJobs(['prioritized', 'waiting', 'active', 'completed']).then((jobs) => jobs.filter((j) => j.data.meta.tenant_id === 't_third'));
    expect(job?.opts.priority).toBe(1);
  });

  it('keeps dedupe by job id: the same run queued twice is one job', async () => {
    const harness = await fleet();
    const envelope = harness.envelope({ workflow: probe.name, tenantId: 't_busy', payload: { n: 1, p: 'normal' }, triggerId: 'dup' });
    await harness.accept(envelope, 'batch');
    await enqueueRun(harness.queues, harness.catalog, envelope);
    await enqueueRun(harness.queues, harness.catalog, envelope);
    await drain(harness, 1);
    expect(await harness.queues.batch.getJobCountByTypes('prioritized', 'waiting')).toBe(0);
    expect(taken).toHaveLength(1);
  });

  it('a run added again while its job is in Redis is counted as found and spends none of its tenant\'s share', async () => {
    const harness = await fleet();
    const first = harness.envelope({ workflow: probe.name, tenantId: 't_busy', payload: { n: 1, p: 'normal' }, triggerId: 'again-1' });
    const second = harness.envelope({ workflow: probe.name, tenantId: 't_busy', payload: { n: 2, p: 'normal' }, triggerId: 'again-2' });
    for (const e of [first, second]) await harness.accept(e, 'batch');
    const before = runJobsFoundQueued();
    await enqueueRun(harness.queues, harness.catalog, first);
    expect(runJobsFoundQueued()).toBe(before);
    // Three adds of the same job: BullMQ keeps the first; the tenant's clock stays where one run left it.
    await enqueueRun(harness.queues, harness.catalog, first);
    await enqueueRun(harness.queues, harness.catalog, first);
    expect(runJobsFoundQueued()).toBe(before + 2);
    await enqueueRun(harness.queues, harness.catalog, second);
    const priorities = await Promise.all([first, second].map(async (e) => (await harness.queues.batch.getJob(toJobId(e.meta.idempotency_key)))!.opts.priority));
    // Rounds 0 and 1: the second run is the tenant's next, not its fourth.
    expect(priorities).toEqual([1, 2]);
  });

  it('with fair share off, an add that finds its job in Redis is counted too', async () => {
    const harness = await fleet();
    const fifo = createLaneQueues(harness.redis, harness.prefix, { fairShare: false });
    try {
      const envelope = harness.envelope({ workflow: probe.name, tenantId: 't_busy', payload: { n: 1, p: 'normal' }, triggerId: 'again-fifo' });
      await harness.accept(envelope, 'batch');
      const before = runJobsFoundQueued();
      await enqueueRun(fifo, harness.catalog, envelope);
      await enqueueRun(fifo, harness.catalog, envelope);
      expect(runJobsFoundQueued()).toBe(before + 1);
      expect(await harness.queues.batch.getJobCountByTypes('waiting', 'prioritized')).toBe(1);
    } finally {
      await Promise.all(Object.values(fifo).map((q) => q.close()));
    }
  });

  it('with fair share off, the lane is first in, first out across tenants again', async () => {
    const harness = await fleet();
    const fifo = createLaneQueues(harness.redis, harness.prefix, { fairShare: false });
    try {
      await queue(harness, 't_busy', 100, 0, 'normal', fifo);
      await queue(harness, 't_quiet', 1, 0, 'normal', fifo);
      await drain(harness, 101);
      expect(takenBefore('t_quiet')).toBe(100);
    } finally {
      await Promise.all(Object.values(fifo).map((q) => q.close()));
    }
  });
});
