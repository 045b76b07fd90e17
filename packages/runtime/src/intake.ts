import { acceptRun, type Db } from '@revos/db';
import { parseEnvelope, toJobId, type Envelope, type Priority } from '@revos/envelope';
import type { WorkflowCatalog } from './define-workflow.js';
import type { LaneQueues } from './enqueue.js';
import { ensureRunQueued } from './run/ensure-queued.js';
import type { Lane } from './lanes.js';
import { refuseCardNumbers, stampTenantPolicy } from './intake-policy.js';
import { isPhiMinimized, redactEnvelope, sealContext, type PrivacyGuard } from './privacy/privacy-mode.js';
import type { Context, Tracer } from '@opentelemetry/api';
import { startIntakeSpan } from './tracing/intake-trace.js';

/** Where an accepted run came from (for operators; not part of the envelope). */
export type IntakeSource = 'api' | 'webhook' | 'cron' | 'dispatcher' | 'replay' | 'cli';

export class UnknownWorkflowError extends Error {
  override name = 'UnknownWorkflowError';
  constructor(
    readonly workflow: string,
    readonly version: string,
  ) {
    super(`workflow ${workflow}@${version} is not registered`);
  }
}

export interface IntakeDeps {
  db: Db;
  queues: LaneQueues;
  catalog: WorkflowCatalog;
  /** Needed to accept phi_minimized runs (they are stored redacted, with a sealed copy to re-run). */
  privacy?: PrivacyGuard;
  /** Traces intake (a `revos.intake` span whose context the job carries); absent: not traced. */
  tracer?: Tracer;
}

/** A phi_minimized run reached a producer that has no PHI keys configured: refused, never stored raw. */
export class PrivacyNotConfiguredError extends Error {
  override name = 'PrivacyNotConfiguredError';
  constructor() {
    super('phi_minimized runs need PHI_TOKEN_KEY and PHI_SEAL_KEY configured on the producer');
  }
}

export interface IntakeOptions {
  source: IntakeSource;
  /**
   * When the trigger reached us (a webhook request's first byte, say); defaults to now. Stamped into
   * `meta.accepted_at_utc`, where the run's latency clock starts.
   */
  arrivedAt?: Date;
  priority?: Priority;
  runAfter?: Date | null;
  /** The span this intake continues (a follow-up's next action); absent: a new trace begins. */
  traceParent?: Context;
}

export interface IntakeResult {
  status: 'queued' | 'duplicate';
  workflow_run_id: string;
  root_run_id: string;
  idempotency_key: string;
  job_id: string;
  lane: Lane;
}

/**
 * The one way a run enters the fleet: validate (card numbers refused for payment workflows), stamp
 * the tenant's current policy versions (see intake-policy.ts), record durably (the
 * accepted_runs row and the run's `queued` row, one statement), then enqueue
 * with jobId = encoded key. A key seen before is a duplicate, answered with the
 * run it was first accepted as: read from PostgreSQL, never from BullMQ.
 *
 * If the enqueue fails after the record committed, the error propagates (the
 * caller answers 5xx) and the reconciler enqueues the recorded run later; the
 * caller's retry is a duplicate of it. Nothing accepted is lost.
 */
export async function submitRun(deps: IntakeDeps, input: Envelope, options: IntakeOptions): Promise<IntakeResult> {
  // The arrival is ours to say: whatever a caller put in accepted_at_utc is replaced.
  const parsed = parseEnvelope({ ...input, meta: { ...input.meta, accepted_at_utc: (options.arrivedAt ?? new Date()).toISOString() } });
  const workflow = deps.catalog.get(parsed.meta.workflow_name, parsed.meta.workflow_version);
  if (!workflow) throw new UnknownWorkflowError(parsed.meta.workflow_name, parsed.meta.workflow_version);
  if (workflow.refusesCardData) refuseCardNumbers(parsed);
  const envelope = await stampTenantPolicy(deps.db.sql, parsed, workflow);
  const meta = envelope.meta;
  const jobId = toJobId(meta.idempotency_key);
  const phi = isPhiMinimized(envelope);
  if (phi && !deps.privacy) throw new PrivacyNotConfiguredError();
  const span = startIntakeSpan(deps.tracer, envelope, options.source, workflow.lane, options.traceParent);
  try {
    const result = await acceptAndEnqueue(deps, envelope, options, jobId, workflow.lane, phi, span.carried);
    span.end({ status: result.status });
    return result;
  } catch (error) {
    span.end({ status: 'error', error });
    throw error;
  }
}

async function acceptAndEnqueue(
  deps: IntakeDeps,
  envelope: Envelope,
  options: IntakeOptions,
  jobId: string,
  lane: Lane,
  phi: boolean,
  traceContext: string | undefined,
): Promise<IntakeResult> {
  const meta = envelope.meta;
  const accepted = await acceptRun(deps.db.sql, {
    idempotencyKey: meta.idempotency_key,
    workflowRunId: meta.workflow_run_id,
    parentRunId: meta.parent_run_id ?? null,
    rootRunId: meta.root_run_id,
    correlationId: meta.correlation_id,
    tenantId: meta.tenant_id,
    workflowName: meta.workflow_name,
    workflowVersion: meta.workflow_version,
    jobId,
    lane,
    triggerSource: meta.trigger_source,
    triggerId: meta.trigger_id,
    privacyMode: meta.privacy_mode,
    priority: options.priority ?? null,
    runAfter: options.runAfter ?? null,
    source: options.source,
    envelope: phi && deps.privacy ? redactEnvelope(deps.privacy, envelope) : envelope,
    sealedEnvelope: phi && deps.privacy ? deps.privacy.sealer.seal(envelope, sealContext.acceptedRun(meta.idempotency_key)) : null,
    traceContext: traceContext ?? null,
  });
  const base = { idempotency_key: meta.idempotency_key, job_id: jobId, lane, root_run_id: accepted.rootRunId };
  if (!accepted.accepted) return { status: 'duplicate', workflow_run_id: accepted.workflowRunId, ...base };
  // Not a bare enqueue: a finished job left under this jobId (a restored database) would absorb it.
  await ensureRunQueued(
    deps,
    { idempotencyKey: meta.idempotency_key, workflowRunId: meta.workflow_run_id, jobId, lane, priority: options.priority ?? null, runAfter: options.runAfter ?? null, envelope, sealedEnvelope: null, traceContext: traceContext ?? null },
    { envelope, traceContext },
  );
  return { status: 'queued', workflow_run_id: meta.workflow_run_id, ...base };
}
