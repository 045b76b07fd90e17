/**
 * The `fair-share-designs` variant: what each way of sharing a lane between tenants costs BullMQ
 * itself, with a no-op job so that only the queue is measured. Three designs, the same 2 tenants ×
 * n/2 jobs each, one worker of concurrency 50, side by side in one run:
 *
 * - `fifo`: plain adds (the lane before fair share; not fair).
 * - `rounds`: what the fleet does (fair-share.ts): one Lua call for the tenant's round, then an add
 *   with that priority; the worker pops the lowest priority.
 * - `feeder`: per-tenant Redis lists and a feeder that moves jobs round-robin into the lane whenever it
 *   holds fewer than 2 × concurrency waiting, the other common design (one more hop per job, and the
 *   waiting runs are invisible to Bull Board while they sit in the lists).
 *
 * Reported per design: the producer's cost to enqueue a job (µs, sequential adds, the queue filled
 * first) and the worker's drain rate once started (jobs/s; the feeder runs beside the worker), each
 * with its ratio to `fifo`.
 */
import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import { assignFairRound } from '@revos/runtime';
import { round } from './shared.js';

export interface FairShareDesign {
  design: 'fifo' | 'rounds' | 'feeder';
  jobs: number;
  enqueue_us_per_job: number;
  drain_ms: number;
  drain_jobs_per_s: number;
  /** drain jobs/s over fifo's. */
  drain_over_fifo: number | null;
  /** enqueue µs per job over fifo's. */
  enqueue_over_fifo: number | null;
}

export interface FairShareDesignsResult {
  variant: 'fair-share-designs';
  designs: FairShareDesign[];
}

const CONCURRENCY = 50;
const TENANTS = ['t_a', 't_b'];

export async function fairShareDesignsVariant(d: { redis: Redis; newPrefix: () => string; n: number; log: (line: string) => void }): Promise<FairShareDesignsResult> {
  const designs: FairShareDesign[] = [];
  for (const design of ['fifo', 'rounds', 'feeder'] as const) {
    const prefix = d.newPrefix();
    const { enqueueMs, drainMs } = await measure(d.redis, prefix, design, d.n);
    const row: FairShareDesign = {
      design,
      jobs: d.n,
      enqueue_us_per_job: round((enqueueMs * 1000) / d.n, 1),
      drain_ms: Math.round(drainMs),
      drain_jobs_per_s: round((d.n / drainMs) * 1000, 0),
      drain_over_fifo: null,
      enqueue_over_fifo: null,
    };
    designs.push(row);
    d.log(`fair-share-designs/${design}: enqueue ${row.enqueue_us_per_job} µs/job; ${d.n} no-op jobs drained in ${row.drain_ms} ms = ${row.drain_jobs_per_s}/s`);
  }
  const fifo = designs[0]!;
  for (const row of designs) {
    row.drain_over_fifo = round(row.drain_jobs_per_s / fifo.drain_jobs_per_s, 3);
    row.enqueue_over_fifo = round(row.enqueue_us_per_job / fifo.enqueue_us_per_job, 3);
  }
  return { variant: 'fair-share-designs', designs };
}

async function measure(redis: Redis, prefix: string, design: FairShareDesign['design'], n: number): Promise<{ enqueueMs: number; drainMs: number }> {
  const queue = new Queue('lane', { connection: redis, prefix });
  const jobs = Array.from({ length: n }, (_, i) => ({ tenant: TENANTS[i % TENANTS.length]!, id: `j${i}` }));
  const t0 = performance.now();
  if (design === 'feeder') {
    // Producers push to their tenant's list (one command a job, as an add is); the feeder moves them later.
    for (const job of jobs) await redis.rpush(`${prefix}:feed:${job.tenant}`, job.id);
  } else {
    for (const job of jobs) {
      const priority = design === 'rounds' ? (await assignFairRound(queue, prefix, job.tenant, job.id)).priority : undefined;
      await queue.add('noop', { tenant: job.tenant }, { jobId: job.id, priority, removeOnComplete: true });
    }
  }
  const enqueueMs = performance.now() - t0;

  let done = 0;
  let resolveDone!: () => void;
  const finished = new Promise<void>((resolve) => (resolveDone = resolve));
  const connection = redis.duplicate({ maxRetriesPerRequest: null });
  const worker = new Worker('lane', async () => {}, { connection, prefix, concurrency: CONCURRENCY, autorun: false });
  worker.on('completed', () => {
    done += 1;
    if (done === n) resolveDone();
  });
  const t1 = performance.now();
  void worker.run();
  const feeding = design === 'feeder' ? feed(redis, queue, prefix, n) : Promise.resolve();
  await feeding;
  await finished;
  const drainMs = performance.now() - t1;
  await worker.close();
  await connection.quit();
  await queue.obliterate({ force: true });
  await queue.close();
  return { enqueueMs, drainMs };
}

async function feed(redis: Redis, queue: Queue, prefix: string, n: number): Promise<void> {
  let moved = 0;
  let turn = 0;
  while (moved < n) {
    const waiting = await queue.getWaitingCount();
    if (waiting >= 2 * CONCURRENCY) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    const batch: { name: string; data: { tenant: string }; opts: { jobId: string; removeOnComplete: boolean } }[] = [];
    for (let i = 0; i < 2 * CONCURRENCY - waiting && moved + batch.length < n; i++) {
      const tenant = TENANTS[turn++ % TENANTS.length]!;
      const id = await redis.lpop(`${prefix}:feed:${tenant}`);
      if (id) batch.push({ name: 'noop', data: { tenant }, opts: { jobId: id, removeOnComplete: true } });
    }
    if (batch.length > 0) await queue.addBulk(batch);
    moved += batch.length;
  }
}

/** The markdown section of the variant. */
export function renderFairShareDesigns(r: FairShareDesignsResult): string[] {
  const lines = ['## Fair share: the designs side by side (no-op jobs, BullMQ only)', ''];
  lines.push('| design | jobs | enqueue (µs/job) | / fifo | drain (jobs/s) | / fifo |', '|---|---:|---:|---:|---:|---:|');
  for (const d of r.designs) lines.push(`| ${d.design} | ${d.jobs} | ${d.enqueue_us_per_job} | ${d.enqueue_over_fifo ?? '–'} | ${d.drain_jobs_per_s} | ${d.drain_over_fifo ?? '–'} |`);
  lines.push('');
  return lines;
}
