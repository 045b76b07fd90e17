/**
 * An accepted run that has not ended must have a live job of its own in Redis. Three ways it may not:
 * no job at all (Redis lost it, or the enqueue failed); a job under its id that already finished (a
 * database restored from backup, or runs removed while Redis kept their completed jobs: `Queue.add`
 * then meets the jobId and silently does nothing); or a job that belongs to another run id. Intake,
 * the reconciler and a staff settlement all go through here, so each case is healed the same way.
 */
import type { Tracer } from '@opentelemetry/api';
import type { UnsettledRun } from '@revos/db';
import { parseEnvelope, type Envelope } from '@revos/envelope';
import type { Job } from 'bullmq';
import type { WorkflowCatalog } from '../definition/define-workflow.js';
import type { Lane } from '../definition/lanes.js';
import type { AnyManifest } from '../definition/manifest.js';
import { addRunJob, enqueueRun, type LaneQueues, type ReadyRun } from './enqueue.js';
import { sealContext, type PrivacyGuard } from '../privacy/privacy-mode.js';
import { startRequeueSpan } from '../tracing/intake-trace.js';
import { parseSpanContext } from '../tracing/propagation.js';

/**
 * What a repair reads: the lane queues, the catalog (to enqueue a stored envelope), the privacy guard
 * (to unseal a phi_minimized run's copy) and the tracer. Intake's deps extend it, so intake, the
 * reconciler and a settlement hand theirs in as they are.
 */
export interface QueueRepairDeps {
  queues: LaneQueues;
  catalog: WorkflowCatalog<AnyManifest>;
  privacy?: PrivacyGuard;
  tracer?: Tracer;
}

/** What was done: added, a stale job replaced, a failed job retried, or nothing (a live job is in place). */
export type QueueRepair = 'enqueued' | 'replaced_stale' | 'retried' | 'in_place';

export interface EnsureQueuedOptions {
  /** The envelope as submitted, when the caller holds it (intake); else the accepted record's copy. */
  envelope?: Envelope;
  /** Retry a failed job with a fresh set of attempts (a settled effect lets the run go again). */
  resetAttempts?: boolean;
  /** W3C traceparent to carry in the job, so the run joins its caller's trace (intake's span). */
  traceContext?: string;
  /**
   * Who re-enqueues a run that lost its job (`reconciler`, `settlement`): traced as a `revos.requeue`
   * span under the trace the run's job first carried, so the run stays one trace.
   */
  requeueReason?: string;
  /** Intake's checked run (the envelope parsed, jobId built): enqueued as is, not parsed again. */
  ready?: ReadyRun;
}

export async function ensureRunQueued(deps: QueueRepairDeps, run: UnsettledRun, options: EnsureQueuedOptions = {}): Promise<QueueRepair> {
  const queue = deps.queues[run.lane as Lane];
  const job = await queue.getJob(run.jobId);
  if (!job) {
    await enqueueTraced(deps, run, original(deps, run, options), options, 'enqueued');
    return 'enqueued';
  }
  const state = await job.getState();
  const ours = runIdOf(job) === run.workflowRunId;
  if (ours && state === 'failed') {
    // BullMQ gave up on it (or its run failed and was reopened by a settlement): the same job again.
    await job.retry('failed', options.resetAttempts ? { resetAttemptsMade: true, resetAttemptsStarted: true } : {});
    return 'retried';
  }
  if (state === 'active') return 'in_place'; // a worker holds it; the ledger decides what it may do
  if (ours && state !== 'completed') return 'in_place';
  // Finished, or someone else's: it will never run this accepted run. Replace it.
  const envelope = original(deps, run, options, ours ? job : undefined);
  await job.remove();
  await enqueueTraced(deps, run, envelope, options, 'replaced_stale', ours ? job : undefined);
  return 'replaced_stale';
}


function runIdOf(job: Job): string | undefined {
  const meta = (job.data as { meta?: { workflow_run_id?: unknown } } | undefined)?.meta;
  return typeof meta?.workflow_run_id === 'string' ? meta.workflow_run_id : undefined;
}

/** The envelope to run: the caller's, the sealed original (phi_minimized), the stored one, or the run's own job data. */
function original(deps: QueueRepairDeps, run: UnsettledRun, options: EnsureQueuedOptions, ownJob?: Job): Envelope {
  if (options.envelope) return options.envelope;
  if (run.sealedEnvelope) {
    if (!deps.privacy) throw new Error('sealed envelope but no PHI_SEAL_KEY configured');
    return parseEnvelope(deps.privacy.sealer.unseal(run.sealedEnvelope, sealContext.acceptedRun(run.idempotencyKey)));
  }
  const stored = run.envelope as { meta?: { privacy_mode?: string } } | null;
  // A phi_minimized run's stored envelope is redacted: only the sealed copy or its own job can re-run it.
  if (stored?.meta?.privacy_mode === 'phi_minimized') {
    if (ownJob) return parseEnvelope(ownJob.data);
    throw new Error(`run ${run.workflowRunId} is phi_minimized and its sealed copy is gone: replay it instead (revos runs replay --force)`);
  }
  return parseEnvelope(run.envelope);
}

/**
 * Enqueues the run carrying its trace: the caller's context (intake), or, for a re-enqueue, a
 * `revos.requeue` span under the context the run was first enqueued with (kept on its accepted_runs
 * row; else what its own stale job carried). With tracing off here, the first context is carried as is.
 */
async function enqueueTraced(deps: QueueRepairDeps, run: UnsettledRun, envelope: Envelope, options: EnsureQueuedOptions, repair: QueueRepair, ownJob?: Job): Promise<void> {
  const enqueue = async (traceContext: string | undefined) => {
    const jobOptions = { priority: run.priority ?? undefined, runAfter: run.runAfter, traceContext };
    if (options.ready) await addRunJob(deps.queues, options.ready, jobOptions);
    else await enqueueRun(deps.queues, deps.catalog, envelope, jobOptions);
  };
  const first = run.traceContext ?? carriedBy(ownJob);
  if (options.requeueReason === undefined || !deps.tracer) {
    await enqueue(options.traceContext ?? first);
    return;
  }
  const span = startRequeueSpan(
    deps.tracer,
    { workflowRunId: run.workflowRunId, workflowName: envelope.meta.workflow_name, lane: run.lane, reason: options.requeueReason },
    parseSpanContext(first),
  );
  try {
    await enqueue(span.carried ?? first);
    span.end({ status: repair });
  } catch (error) {
    span.end({ status: repair, error });
    throw error;
  }
}

function carriedBy(job: Job | undefined): string | undefined {
  const metadata: unknown = job?.opts.telemetry?.metadata;
  return typeof metadata === 'string' ? metadata : undefined;
}
