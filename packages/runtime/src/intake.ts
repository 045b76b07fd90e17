import { acceptRun, type Db } from '@revos/db';
import { parseEnvelope, toJobId, type Envelope, type Priority } from '@revos/envelope';
import type { WorkflowCatalog } from './define-workflow.js';
import { enqueueRun, type LaneQueues } from './enqueue.js';
import type { Lane } from './lanes.js';
import { isPhiMinimized, redactEnvelope, type PrivacyGuard } from './privacy/privacy-mode.js';

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
 * The one way a run enters the fleet: validate, record durably (the
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
  const envelope = parseEnvelope({ ...input, meta: { ...input.meta, accepted_at_utc: (options.arrivedAt ?? new Date()).toISOString() } });
  const meta = envelope.meta;
  const workflow = deps.catalog.get(meta.workflow_name, meta.workflow_version);
  if (!workflow) throw new UnknownWorkflowError(meta.workflow_name, meta.workflow_version);
  const jobId = toJobId(meta.idempotency_key);
  const phi = isPhiMinimized(envelope);
  if (phi && !deps.privacy) throw new PrivacyNotConfiguredError();
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
    lane: workflow.lane,
    triggerSource: meta.trigger_source,
    triggerId: meta.trigger_id,
    privacyMode: meta.privacy_mode,
    priority: options.priority ?? null,
    runAfter: options.runAfter ?? null,
    source: options.source,
    envelope: phi && deps.privacy ? redactEnvelope(deps.privacy, envelope) : envelope,
    sealedEnvelope: phi && deps.privacy ? deps.privacy.sealer.seal(envelope) : null,
  });
  const base = { idempotency_key: meta.idempotency_key, job_id: jobId, lane: workflow.lane, root_run_id: accepted.rootRunId };
  if (!accepted.accepted) return { status: 'duplicate', workflow_run_id: accepted.workflowRunId, ...base };
  await enqueueRun(deps.queues, deps.catalog, envelope, { priority: options.priority, runAfter: options.runAfter });
  return { status: 'queued', workflow_run_id: meta.workflow_run_id, ...base };
}
