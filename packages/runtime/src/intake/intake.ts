/**
 * The one way a run enters the fleet. Every front door (API, webhooks, voice, cron, CLI, operator)
 * calls {@link acceptSubmission} with what its caller sent; the dispatcher and other trusted callers
 * holding a complete envelope call {@link submitRun}. Both make one pass: the envelope is parsed
 * once, the workflow's manifest looked up once, the key and jobId built once, then the run is
 * recorded and handed to a single enqueue. What a caller did wrong is an {@link IntakeRefusal}.
 */
import { acceptRun, type Db } from '@revos/db';
import { envelopeHash, jsonLimitIssues, toJobId, validateEnvelope, type Envelope, type FieldIssue, type Priority } from '@revos/envelope';
import type { Context, Tracer } from '@opentelemetry/api';
import { completeEnvelope } from './complete-envelope.js';
import type { WorkflowCatalog } from '../definition/define-workflow.js';
import type { AnyManifest } from '../definition/manifest.js';
import type { LaneQueues, ReadyRun } from '../queue/enqueue.js';
import { ensureRunQueued, type QueueRepairDeps } from '../queue/ensure-queued.js';
import { runIdentity } from '../run/run-identity.js';
import { cardNumberIssues, stampTenantPolicy } from './intake-policy.js';
import { IntakeRefused, isIntakeRefused, refusal, type IntakeRefusal } from './intake-refusal.js';
import type { AcceptedRunIds, IntakeRepeatCache } from './intake-repeat-cache.js';
import type { Lane } from '../definition/lanes.js';
import { payloadIssuesFor } from '../definition/payload-schema.js';
import { isPhiMinimized, redactEnvelope, sealContext, type PrivacyGuard } from '../privacy/privacy-mode.js';
import { startIntakeSpan } from '../tracing/intake-trace.js';

export * from './intake-refusal.js';

/** Where an accepted run came from (for operators; not part of the envelope). */
export type IntakeSource = 'api' | 'webhook' | 'cron' | 'dispatcher' | 'replay' | 'cli';

/** Holds what a queue repair reads (QueueRepairDeps), so intake hands its deps to ensureRunQueued as they are. */
export interface IntakeDeps extends QueueRepairDeps {
  db: Db;
  queues: LaneQueues;
  /** Manifests are all intake reads; a worker's catalog of bound workflows serves as well. */
  catalog: WorkflowCatalog<AnyManifest>;
  /** Needed to accept phi_minimized runs (they are stored redacted, with a sealed copy to re-run). */
  privacy?: PrivacyGuard;
  /** Traces intake (a `revos.intake` span whose context the job carries); absent: not traced. */
  tracer?: Tracer;
  /** Answers a repeat of a key this process saw accepted recently without asking PostgreSQL; absent: every repeat asks. */
  repeats?: IntakeRepeatCache;
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

/** A front door's answer: the run (new or the first of its key), or why it was refused. */
export type IntakeOutcome = { ok: true; result: IntakeResult } | { ok: false; refusal: IntakeRefusal };

/**
 * A caller's (possibly partial) envelope through intake: completed (completeEnvelope), checked
 * against the envelope schema and the workflow's payload schema in one answer naming every failing
 * field (`extraIssues` first: a front door's own, such as the body's `options`), then accepted.
 * Only unexpected errors (the database or Redis failing) are thrown.
 */
export async function acceptSubmission(
  deps: IntakeDeps,
  partial: unknown,
  tenantId: string,
  options: IntakeOptions,
  extraIssues: FieldIssue[] = [],
): Promise<IntakeOutcome> {
  try {
    // Before anything walks the body: a 5,000-deep value must be a refusal naming the rule, not a stack overflow.
    const limits = jsonLimitIssues(partial);
    if (limits.length > 0) throw new IntakeRefused(refusal('invalid_envelope', limits));
    const completed = completeEnvelope(partial, tenantId, deps.catalog, extraIssues);
    const checked = checkEnvelope(completed.envelope, completed.workflow, options, extraIssues, { payload: true });
    return { ok: true, result: await admit(deps, checked, options) };
  } catch (error) {
    if (isIntakeRefused(error)) return { ok: false, refusal: error.refusal };
    throw error;
  }
}

/**
 * A complete envelope through intake, for callers that built it themselves (the dispatcher's
 * follow-ups, a replay, tests). Its payload is left to the worker's check, as a follow-up's always
 * was. A refusal is thrown as {@link IntakeRefused}.
 *
 * If the enqueue fails after the record committed, the error propagates (the caller answers 5xx)
 * and the reconciler enqueues the recorded run later; the caller's retry is a duplicate of it.
 * Nothing accepted is lost.
 */
export async function submitRun(deps: IntakeDeps, input: Envelope, options: IntakeOptions): Promise<IntakeResult> {
  const name: unknown = input?.meta?.workflow_name;
  const version: unknown = input?.meta?.workflow_version;
  const workflow = typeof name === 'string' && typeof version === 'string' ? deps.catalog.get(name, version) : undefined;
  return admit(deps, checkEnvelope(input, workflow, options, [], { payload: false }), options);
}

/** An envelope parsed once, with its workflow's manifest: what every later step works from. */
interface CheckedRun {
  envelope: Envelope;
  workflow: AnyManifest;
}

/**
 * Parses the envelope once (the arrival stamped: whatever a caller put in accepted_at_utc is
 * replaced) and, for front doors, the payload against the workflow's cached validator.
 */
function checkEnvelope(
  input: Envelope,
  workflow: AnyManifest | undefined,
  options: IntakeOptions,
  extraIssues: FieldIssue[],
  check: { payload: boolean },
): CheckedRun {
  const arrived = (options.arrivedAt ?? new Date()).toISOString();
  const parsed = validateEnvelope({ ...input, meta: { ...input.meta, accepted_at_utc: arrived } });
  // Payload issues only for a registered version and an object payload: otherwise the envelope's own
  // schema names the mistake, and repeating it would list one mistake twice.
  const payloadIssues = check.payload && workflow ? payloadIssuesFor(workflow, input.payload) : [];
  const issues = [...extraIssues, ...(parsed.ok ? [] : parsed.issues), ...payloadIssues];
  if (issues.length > 0) throw new IntakeRefused(refusal('invalid_envelope', issues));
  if (!parsed.ok) throw new Error('unreachable: a failed parse has issues');
  const { meta } = parsed.value;
  if (!workflow) {
    throw new IntakeRefused(
      refusal('unknown_workflow', [{ path: 'meta.workflow_name', rule: 'unknown_workflow', message: `${meta.workflow_name}@${meta.workflow_version} is not registered` }]),
    );
  }
  return { envelope: parsed.value, workflow };
}

/**
 * Card numbers refused for payment workflows, the tenant's current policy versions stamped (see
 * intake-policy.ts), then recorded durably (the accepted_runs row and the run's `queued` row, one
 * statement) and enqueued with jobId = encoded key. A key seen before is a duplicate, answered with
 * the run it was first accepted as: read from PostgreSQL (or from `deps.repeats`, which holds only
 * what PostgreSQL answered), never from BullMQ.
 */
async function admit(deps: IntakeDeps, checked: CheckedRun, options: IntakeOptions): Promise<IntakeResult> {
  const { workflow } = checked;
  if (workflow.refusesCardData) {
    const issues = cardNumberIssues(checked.envelope);
    if (issues.length > 0) throw new IntakeRefused(refusal('invalid_envelope', issues));
  }
  if (isPhiMinimized(checked.envelope)) refuseUnlessPrivacyConfigured(deps);
  // After every refusal above, so a repeat is refused exactly as a fresh submission would be.
  const known = deps.repeats?.get(checked.envelope.meta.tenant_id, checked.envelope.meta.idempotency_key);
  if (known) return repeatAnswer(deps, checked, options, known);
  const envelope = await stampTenantPolicy(deps.db.sql, checked.envelope, workflow);
  // The tenant's configured mode may have raised the run to phi_minimized (the stricter mode wins).
  const phi = isPhiMinimized(envelope);
  if (phi) refuseUnlessPrivacyConfigured(deps);
  const ready: ReadyRun = { envelope, jobId: toJobId(envelope.meta.idempotency_key), lane: workflow.lane, attempts: workflow.attempts };
  const span = startIntakeSpan(deps.tracer, envelope, options.source, workflow.lane, options.traceParent);
  try {
    const result = await acceptAndEnqueue(deps, ready, options, phi, span.carried);
    span.end({ status: result.status });
    return result;
  } catch (error) {
    span.end({ status: 'error', error });
    throw error;
  }
}

function refuseUnlessPrivacyConfigured(deps: IntakeDeps): void {
  if (deps.privacy) return;
  throw new IntakeRefused(
    refusal('privacy_not_configured', [{ path: 'meta.privacy_mode', rule: 'privacy_not_configured', message: 'phi_minimized runs need PHI_TOKEN_KEY and PHI_SEAL_KEY configured on the producer' }]),
  );
}

/** What acceptAndEnqueue answers for a duplicate, and its span, from the ids PostgreSQL gave earlier. */
function repeatAnswer(deps: IntakeDeps, checked: CheckedRun, options: IntakeOptions, known: AcceptedRunIds): IntakeResult {
  const { envelope, workflow } = checked;
  const key = envelope.meta.idempotency_key;
  startIntakeSpan(deps.tracer, envelope, options.source, workflow.lane, options.traceParent).end({ status: 'duplicate' });
  return { status: 'duplicate', workflow_run_id: known.workflowRunId, idempotency_key: key, job_id: toJobId(key), lane: workflow.lane, root_run_id: known.rootRunId };
}

async function acceptAndEnqueue(deps: IntakeDeps, ready: ReadyRun, options: IntakeOptions, phi: boolean, traceContext: string | undefined): Promise<IntakeResult> {
  const { envelope, jobId, lane } = ready;
  const meta = envelope.meta;
  // Object.assign, not a spread: see StoredRows.runRecord (a spread and this many fields cost 20–30 µs).
  const accepted = await acceptRun(deps.db.sql, Object.assign(runIdentity(meta), {
    jobId,
    lane,
    priority: options.priority ?? null,
    runAfter: options.runAfter ?? null,
    source: options.source,
    envelope: phi && deps.privacy ? redactEnvelope(deps.privacy, envelope) : envelope,
    sealedEnvelope: phi && deps.privacy ? deps.privacy.sealer.seal(envelope, sealContext.acceptedRun(meta.idempotency_key)) : null,
    traceContext: traceContext ?? null,
    envelopeHash: envelopeHash(envelope),
  }));
  const base = { idempotency_key: meta.idempotency_key, job_id: jobId, lane, root_run_id: accepted.rootRunId };
  if (!accepted.accepted) {
    deps.repeats?.remember(meta.tenant_id, meta.idempotency_key, accepted);
    return { status: 'duplicate', workflow_run_id: accepted.workflowRunId, ...base };
  }
  // Not a bare enqueue: a finished job left under this jobId (a restored database) would absorb it.
  await ensureRunQueued(
    deps,
    { idempotencyKey: meta.idempotency_key, workflowRunId: meta.workflow_run_id, jobId, lane, priority: options.priority ?? null, runAfter: options.runAfter ?? null, envelope, sealedEnvelope: null, traceContext: traceContext ?? null },
    { envelope, traceContext, ready },
  );
  // Only now: a failed enqueue above throws, and the caller's retry must reach acceptRun (as a duplicate of this run).
  deps.repeats?.remember(meta.tenant_id, meta.idempotency_key, accepted);
  return { status: 'queued', workflow_run_id: meta.workflow_run_id, ...base };
}
