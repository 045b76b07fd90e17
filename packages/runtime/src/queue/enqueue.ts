import { parseEnvelope, toJobId, type Envelope, type Priority } from '@revos/envelope';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WorkflowCatalog } from '../definition/define-workflow.js';
import type { AnyManifest } from '../definition/manifest.js';
import { LANES, PRIORITY_TO_BULLMQ, queueName, type Lane } from '../definition/lanes.js';
import { assignFairRound } from './fair-share.js';

export type LaneQueues = Record<Lane, Queue>;

export interface LaneQueueOptions {
  /**
   * Fair share between tenants inside each lane (fair-share.ts); on by default. Off (`FAIR_SHARE=off`):
   * a lane is first in, first out across tenants, with the three fixed priorities of PRIORITY_TO_BULLMQ.
   */
  fairShare?: boolean;
}

// Queue sets made with fair share off. A set, not a field of LaneQueues, so every caller that builds
// or passes a Record<Lane, Queue> keeps working.
const firstInFirstOut = new WeakSet<LaneQueues>();

export function createLaneQueues(connection: ConnectionOptions, prefix: string, options: LaneQueueOptions = {}): LaneQueues {
  const entries = LANES.map((lane) => [lane, new Queue(queueName(lane), { connection, prefix })] as const);
  const queues = Object.fromEntries(entries) as LaneQueues;
  if (options.fairShare === false) firstInFirstOut.add(queues);
  return queues;
}

/** Whether runs added to these queues take fair-share rounds. */
export function isFairShare(queues: LaneQueues): boolean {
  return !firstInFirstOut.has(queues);
}

export async function closeLaneQueues(queues: LaneQueues): Promise<void> {
  await Promise.all(Object.values(queues).map((q) => q.close()));
}

/** How long finished jobs stay in Redis for Bull Board; the durable record is PostgreSQL's. */
const KEEP_COMPLETED = { age: 24 * 3600, count: 10_000 };
const KEEP_FAILED = { age: 7 * 24 * 3600, count: 50_000 };
// A phi_minimized job carries the raw envelope (the run needs it): Redis keeps it no longer than that.
const KEEP_PHI_COMPLETED = true;
const KEEP_PHI_FAILED = { age: 3600 };

export interface EnqueueOptions {
  priority?: Priority;
  /** Not before this time (the dispatcher's run_after_utc). */
  runAfter?: Date | null;
  /** The trace context the job carries to its run (tracing/propagation.ts). */
  traceContext?: string;
}

export interface Enqueued {
  jobId: string;
  lane: Lane;
}

/** A run intake has checked: its envelope parsed, its jobId built and its workflow's lane and attempts read. */
export interface ReadyRun {
  envelope: Envelope;
  jobId: string;
  lane: Lane;
  attempts: number;
}

/**
 * Validates (parse before enqueue) and adds the run to its workflow's lane. Throws ValidationError
 * for a bad envelope and an Error naming the workflow for an unregistered one. Intake has done
 * both already and calls {@link addRunJob} directly; this is for everyone else (the reconciler).
 */
export async function enqueueRun(
  queues: LaneQueues,
  catalog: WorkflowCatalog<AnyManifest>,
  input: Envelope,
  options: EnqueueOptions = {},
): Promise<Enqueued> {
  const envelope = parseEnvelope(input);
  const workflow = catalog.get(envelope.meta.workflow_name, envelope.meta.workflow_version);
  if (!workflow) {
    throw new Error(`workflow ${envelope.meta.workflow_name}@${envelope.meta.workflow_version} is not registered`);
  }
  return addRunJob(queues, { envelope, jobId: toJobId(envelope.meta.idempotency_key), lane: workflow.lane, attempts: workflow.attempts }, options);
}

/**
 * Adds a checked run to its lane with jobId = the encoded idempotency key, so BullMQ itself drops a
 * duplicate while the first is still in Redis.
 *
 * BullMQ answers an existing jobId with a Job built from *our* data, not the stored one: callers
 * must read the prior run from PostgreSQL, never from this.
 */
export async function addRunJob(queues: LaneQueues, run: ReadyRun, options: EnqueueOptions = {}): Promise<Enqueued> {
  const { envelope, jobId, lane } = run;
  const queue = queues[lane];
  const delay = options.runAfter ? Math.max(0, options.runAfter.getTime() - Date.now()) : 0;
  const { priority, found } = await placeOf(queues, queue, run, options.priority, delay > 0);
  if (found) foundQueued += 1;
  await queue.add(envelope.meta.workflow_name, envelope, {
    jobId,
    attempts: run.attempts,
    backoff: { type: 'revos' },
    priority,
    delay: delay > 0 ? delay : undefined,
    removeOnComplete: envelope.meta.privacy_mode === 'phi_minimized' ? KEEP_PHI_COMPLETED : KEEP_COMPLETED,
    removeOnFail: envelope.meta.privacy_mode === 'phi_minimized' ? KEEP_PHI_FAILED : KEEP_FAILED,
    // BullMQ's own field for a trace carried across the queue; inert unless someone traces.
    telemetry: options.traceContext ? { metadata: options.traceContext } : undefined,
  });
  return { jobId, lane };
}

/**
 * The BullMQ priority of a run, and whether its jobId is already in Redis (BullMQ then keeps that job
 * and drops this add). Fair share: its tenant's round in the lane (fair-share.ts), read in the same
 * Lua call as the job's presence. A run with a delay takes the current round without moving its
 * tenant's clock: it joins the line when it is due, not now, and a tenant's scheduled runs must not
 * push back its runs of today. Without fair share the presence costs one EXISTS.
 */
async function placeOf(queues: LaneQueues, queue: Queue, run: ReadyRun, priority: Priority | undefined, delayed: boolean): Promise<{ priority: number | undefined; found: boolean }> {
  if (!isFairShare(queues)) {
    // BullMQ 6 types its client as a backend interface; the Redis backend's is ioredis.
    const client = (await queue.getBackend().client) as unknown as Pick<Redis, 'exists'>;
    return { priority: priority ? PRIORITY_TO_BULLMQ[priority] : undefined, found: (await client.exists(queue.toKey(run.jobId))) === 1 };
  }
  const prefix = queue.opts.prefix ?? 'bull';
  const round = await assignFairRound(queue, prefix, run.envelope.meta.tenant_id, run.jobId, delayed ? 'scheduled' : priority);
  if (round.saturated) saturatedAdds += 1;
  return { priority: round.priority, found: round.found };
}

let saturatedAdds = 0;
let foundQueued = 0;

/** Runs added at BullMQ's priority cap (first in, first out) since this process started: a lane that never empties. */
export function fairShareSaturatedAdds(): number {
  return saturatedAdds;
}

/**
 * Adds of this process whose jobId was already in Redis (BullMQ kept the first job and dropped the add)
 * since it started: the `jobid` layer of revos_duplicates_absorbed_total, counted by whoever added.
 */
export function runJobsFoundQueued(): number {
  return foundQueued;
}
