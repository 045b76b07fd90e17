import { parseEnvelope, toJobId, type Envelope, type Priority } from '@revos/envelope';
import { Queue, type ConnectionOptions } from 'bullmq';
import type { WorkflowCatalog } from '../definition/define-workflow.js';
import type { AnyManifest } from '../definition/manifest.js';
import { LANES, PRIORITY_TO_BULLMQ, queueName, type Lane } from '../definition/lanes.js';

export type LaneQueues = Record<Lane, Queue>;

export function createLaneQueues(connection: ConnectionOptions, prefix: string): LaneQueues {
  const entries = LANES.map((lane) => [lane, new Queue(queueName(lane), { connection, prefix })] as const);
  return Object.fromEntries(entries) as LaneQueues;
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
  const delay = options.runAfter ? Math.max(0, options.runAfter.getTime() - Date.now()) : 0;
  await queues[lane].add(envelope.meta.workflow_name, envelope, {
    jobId,
    attempts: run.attempts,
    backoff: { type: 'revos' },
    priority: options.priority ? PRIORITY_TO_BULLMQ[options.priority] : undefined,
    delay: delay > 0 ? delay : undefined,
    removeOnComplete: envelope.meta.privacy_mode === 'phi_minimized' ? KEEP_PHI_COMPLETED : KEEP_COMPLETED,
    removeOnFail: envelope.meta.privacy_mode === 'phi_minimized' ? KEEP_PHI_FAILED : KEEP_FAILED,
    // BullMQ's own field for a trace carried across the queue; inert unless someone traces.
    telemetry: options.traceContext ? { metadata: options.traceContext } : undefined,
  });
  return { jobId, lane };
}
