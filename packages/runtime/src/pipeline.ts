/**
 * The convention's pipeline, one attempt of one run:
 *   Validate_Envelope → Compute_Payload_Hash → Idempotency_Check →
 *   Load_Tenant_Entitlements → Consent_Check (outbound) → core logic →
 *   Log_Event → Build_Standard_Output.
 *
 * It returns what BullMQ should do with the job (done, retry after a delay, fail
 * for good, wait for another worker, or stop because the lease was lost) and has
 * already written every durable fact of the attempt when it returns.
 *
 * Round trips for a fresh run (tenant cached): claim 1, consent 1 (outbound
 * only), 2 per effect (intent, then result + event), outcome 1.
 */
import {
  classifyFailure,
  contractHash,
  EnvelopeMeta,
  FailureCode,
  outcomeOfFailure,
  isWorkflowError,
  newEventId,
  newOutboxId,
  newTaskId,
  payloadHash,
  sha256Hex,
  tryParseIdempotencyKey,
  validateEnvelope,
  validateOutput,
  WorkflowError,
  type Audit,
  type ConsentResult,
  type Envelope,
  type ExternalCall,
  type FailureStage,
  type FieldIssue,
  type NextAction,
  type OutputContract,
  type ResultStatus,
} from '@revos/envelope';
import {
  failEffect,
  markEffectUnknown,
  findConsent,
  findTaskStatus,
  loadEffectJournal,
  recordAlert,
  recordAlertUnlessRecent,
  countRecentBreaches,
  type Db,
  type DeferredEffect,
  type EventRow,
  type FinishEffect,
  type JournalEntry,
  type Lease,
  type RunRecord,
  type TaskEntry,
  type TenantRecord,
} from '@revos/db';
import { newAlertId } from '@revos/envelope';
import type { Logger } from 'pino';
import { computeBackoffMs } from './backoff.js';
import { groupCommitFor } from './group-commit.js';
import { payloadSchemaIssues } from './payload-schema.js';
import { NO_ATTEMPT_TRACE, type AttemptTrace } from './tracing/attempt-trace.js';
import type { AnyWorkflow, EffectIo, EffectSpec, RunContext, WorkflowCatalog, WorkflowResult } from './define-workflow.js';
import { LANE_SETTINGS, type Lane } from './lanes.js';
import { budgetFor, FALLBACK_WORKFLOW, fallbackAction, measureLatency, runClockStart, type QueueTiming } from './run/latency.js';
import { buildOutput, emptyAudit, inputsHashOf } from './output.js';
import { checkConsentGate, consentResultOf } from './run/consent-gate.js';
import { createPatientRecords } from './run/patient-records.js';
import type { TenantCache } from './tenant-cache.js';
import { isPhiMinimized, redactEnvelope, redactOutput, sealContext, type PrivacyGuard } from './privacy/privacy-mode.js';
import { policyUsed, runPolicy } from './run/policy.js';
import { maskDestination } from './run/mask-destination.js';
import { askVendor, type UncertainCall, type UncertaintyCause } from './run/uncertain-effect.js';

/** How long after a call a vendor's lookup is trusted to list it, unless the effect says otherwise. */
export const DEFAULT_LISTING_DELAY_MS = 60_000;

export const ESCALATION_WORKFLOW = 'WF21_Escalate_To_Staff';
export { FALLBACK_WORKFLOW };

export interface PipelineDeps {
  db: Db;
  catalog: WorkflowCatalog;
  tenants: TenantCache;
  /** Names this worker process in the ledger's `locked_by`. */
  workerId: string;
  log: Logger;
  /** A repeated breach: `count` breaches of one workflow for one tenant within `windowMs` write an alert. */
  breachAlert: { count: number; windowMs: number };
  /** Aborted when the process shuts down: runs stop at their next await on the signal. */
  shutdownSignal?: AbortSignal;
  /** Redaction and sealing for phi_minimized runs; without it such runs fail closed (config_missing). */
  privacy?: PrivacyGuard;
  /** An absence a vendor lookup reports sooner than this after the call is not proof (default {@link DEFAULT_LISTING_DELAY_MS}). */
  listingDelayMs?: number;
}

export interface AttemptInfo {
  jobId: string;
  lane: Lane;
  /** Failed attempts before this one. */
  attemptsMade: number;
  /** Attempts in all, from the job's options. */
  maxAttempts: number;
  /** Times this job already waited for another worker's lock on its key (0 on the first wait). */
  waits?: number;
  /** This attempt's spans (tracing/attempt-trace.ts); absent: not traced. */
  trace?: AttemptTrace;
  /** When the job was added and how long it was meant to wait: where the latency clock starts without intake's stamp. */
  timing?: QueueTiming;
}

/**
 * `callsMade`: the vendor calls this attempt really made (the output's
 * audit.external_calls also lists calls reused from the journal; metrics must
 * not count those twice).
 */
export type AttemptOutcome =
  | { kind: 'done'; output: OutputContract; callsMade?: ExternalCall[] }
  | { kind: 'terminal'; output: OutputContract | null; code: FailureCode; reason: string; callsMade?: ExternalCall[] }
  | { kind: 'retry'; output: OutputContract; delayMs: number; code: FailureCode; reason: string; callsMade?: ExternalCall[] }
  | { kind: 'wait'; delayMs: number; reason: string }
  | { kind: 'lost'; reason: string };

/** Thrown inside the pipeline to end the attempt with a classified failure at a stage. */
class StageFailure extends Error {
  override name = 'StageFailure';
  constructor(
    readonly code: FailureCode,
    readonly stage: FailureStage,
    message: string,
    readonly retryAfterMs?: number,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }
}

export async function runAttempt(deps: PipelineDeps, data: unknown, attempt: AttemptInfo): Promise<AttemptOutcome> {
  const startedAt = new Date();
  const trace = attempt.trace ?? NO_ATTEMPT_TRACE;

  // A. Validate_Envelope
  trace.node('validate_envelope');
  const validated = validateEnvelope(data);
  if (!validated.ok) return rejectInvalidEnvelope(deps, data, validated.issues, attempt, startedAt);
  const envelope = validated.value;
  const meta = envelope.meta;
  trace.identify(envelope);
  const log = deps.log.child({
    workflow: meta.workflow_name,
    workflow_run_id: meta.workflow_run_id,
    root_run_id: meta.root_run_id,
    correlation_id: meta.correlation_id,
    tenant_id: meta.tenant_id,
    attempt: attempt.attemptsMade + 1,
  });
  const run = new RunState(deps, envelope, attempt, startedAt, log);

  const workflow = deps.catalog.get(meta.workflow_name, meta.workflow_version);
  if (!workflow) {
    return run.finishTerminal(
      new StageFailure('unknown_workflow', 'validate_envelope', `${meta.workflow_name}@${meta.workflow_version} is not registered`),
    );
  }
  run.workflow = workflow;
  if (isPhiMinimized(envelope) && !deps.privacy) {
    return run.finishTerminal(
      new StageFailure('config_missing', 'validate_envelope', 'phi_minimized runs need PHI_TOKEN_KEY and PHI_SEAL_KEY configured'),
    );
  }
  const payload = workflow.payload.safeParse(envelope.payload);
  if (!payload.success) {
    // The same {path, rule, message} issues the API answers with, rooted at `payload`.
    const issues = payloadSchemaIssues(workflow.payload, envelope.payload);
    const reason = issues.map((i) => `${i.path}: ${i.rule}`).join('; ');
    return run.finishTerminal(new StageFailure('invalid_input', 'validate_envelope', reason, undefined, { issues }));
  }

  // B. Compute_Payload_Hash: the key must describe this very payload.
  trace.node('compute_payload_hash');
  const hash = payloadHash(envelope.payload);
  const keyParts = tryParseIdempotencyKey(meta.idempotency_key);
  if (!keyParts || keyParts.payload_hash !== hash) {
    return run.finishTerminal(
      new StageFailure('idempotency_conflict', 'compute_payload_hash', 'the idempotency key was made for another payload'),
    );
  }

  // C. Idempotency_Check
  trace.node('idempotency_check');
  const claim = await groupCommitFor(deps.db.sql).claim({
    idempotencyKey: meta.idempotency_key,
    tenantId: meta.tenant_id,
    workflowName: meta.workflow_name,
    payloadHash: hash,
    workflowRunId: meta.workflow_run_id,
    workerId: deps.workerId,
    lockMs: workflow.timeoutMs + LANE_SETTINGS[workflow.lane].lockDurationMs,
  });
  switch (claim.kind) {
    case 'finished':
      return run.finishNoop(claim.priorRunId, claim.resultStatus, claim.outputsHash);
    case 'conflict':
      return run.finishTerminal(
        new StageFailure('idempotency_conflict', 'idempotency_check', `key already used by ${claim.priorRunId} for another payload`),
      );
    case 'busy': {
      // Poll with a growing delay: the holder usually finishes long before its lock would lapse
      // (then this delivery is a noop), and if it died we must not come back before the lapse is due.
      const untilLapse = Math.max(0, claim.lockExpiresAt.getTime() - Date.now() + 50);
      const delayMs = Math.min(untilLapse, computeBackoffMs({ failures: (attempt.waits ?? 0) + 1, baseMs: 200, maxMs: 5_000 })) || 50;
      log.info({ prior_run_id: claim.priorRunId, delay_ms: delayMs }, 'key in progress elsewhere; waiting');
      return { kind: 'wait', delayMs, reason: `key in progress under ${claim.priorRunId}` };
    }
    case 'claimed':
      run.lease = { idempotencyKey: meta.idempotency_key, fence: claim.fence };
      if (!claim.fresh) run.journal = await loadEffectJournal(deps.db.sql, meta.idempotency_key);
  }

  try {
    // D. Load_Tenant_Entitlements
    trace.node('load_tenant_entitlements');
    const tenant = await deps.tenants.get(meta.tenant_id);
    if (!tenant) throw new StageFailure('config_missing', 'load_tenant_entitlements', `tenant ${meta.tenant_id} is not configured`);
    run.budgetMs = budgetFor(workflow.channel, workflow.latencyBudgetMs, tenant.config);
    const allowed = tenant.entitlements.workflows;
    if (allowed !== '*' && !(allowed ?? []).includes(workflow.name)) {
      throw new StageFailure('policy_violation', 'load_tenant_entitlements', `tenant is not entitled to ${workflow.name}`);
    }
    const missing = workflow.requiresConfig.filter((k) => tenant.config[k] === undefined || tenant.config[k] === null);
    if (missing.length > 0) {
      throw new StageFailure('config_missing', 'load_tenant_entitlements', `tenant config lacks ${missing.join(', ')}`);
    }

    // E. Consent_Check (outbound workflows only): the subject's consent and the destination's opt-out.
    trace.node('consent_check');
    let consent: ConsentResult | null = null;
    if (workflow.outbound) {
      const verdict = await checkConsentGate(deps.db.sql, workflow.outbound, envelope, payload.data);
      if (verdict.result === 'invalid') throw new StageFailure('invalid_input', 'consent_check', verdict.reason);
      consent = consentResultOf(verdict);
      run.audit.consent_checked = true;
      run.audit.consent_result = consent;
      if (verdict.result === 'deny') throw new StageFailure('consent_denied', 'consent_check', verdict.reason);
    }

    // F. Execute_Workflow_Core_Logic (G. Log_Event happens inside ctx.effect, atomically with each effect)
    trace.node('core_logic');
    const result = await run.execute(workflow, tenant, consent, payload.data);

    // H. Build_Standard_Output
    trace.node('build_standard_output');
    return await run.finishOk(result);
  } catch (error) {
    return run.finishFailure(error);
  }
}

/** Everything one attempt accumulates; each `finish*` writes it in one statement and says what BullMQ should do. */
class RunState {
  workflow: AnyWorkflow | null = null;
  lease: Lease | null = null;
  journal = new Map<string, JournalEntry>();
  /** Effects against deduping vendors, journaled with whatever outcome this attempt writes. */
  readonly deferredEffects: DeferredEffect[] = [];
  /** Calls this attempt made (audit.external_calls adds the ones reused from the journal). */
  readonly callsMade: ExternalCall[] = [];
  readonly audit: Audit = emptyAudit();
  readonly inputsHash: string;
  /** phi_minimized: what is written to the database is redacted (or sealed), never the data itself. */
  readonly phi: boolean;
  /** Latency and the budget count from here: the trigger's arrival, not this attempt's start. */
  readonly clockStart: Date;
  /** The budget this run is held to once its tenant is known (see `budgetFor`); the workflow's until then. */
  budgetMs: number | null | undefined;

  constructor(
    private readonly deps: PipelineDeps,
    private readonly envelope: Envelope,
    private readonly attempt: AttemptInfo,
    private readonly startedAt: Date,
    private readonly log: Logger,
  ) {
    this.clockStart = runClockStart(envelope.meta, attempt.timing ?? {}, startedAt);
    this.inputsHash = inputsHashOf(envelope);
    this.phi = isPhiMinimized(envelope);
    this.audit.phi_touched = Boolean(envelope.subject.patient_id ?? envelope.subject.lead_id);
  }

  async execute(workflow: AnyWorkflow, tenant: TenantRecord, consent: ConsentResult | null, payload: unknown): Promise<WorkflowResult> {
    // One plain controller per run (AbortSignal.timeout/any allocate transferable signals: measurably
    // slower per run), aborted by the run's timeout or the process's shutdown.
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), workflow.timeoutMs);
    const shutdown = this.deps.shutdownSignal;
    const onShutdown = () => controller.abort();
    if (shutdown?.aborted) controller.abort();
    shutdown?.addEventListener('abort', onShutdown, { once: true });
    const signal = controller.signal;
    const ctx: RunContext<unknown> = {
      envelope: this.envelope,
      payload,
      tenant,
      retryCount: this.attempt.attemptsMade,
      consent,
      policy: runPolicy(this.envelope, tenant),
      signal,
      log: this.log,
      effect: (name, spec, fn) => this.effect(name, spec, fn, signal),
      lookup: {
        consent: (subjectId, channel) => findConsent(this.deps.db.sql, tenant.tenantId, subjectId, channel),
        taskStatus: (taskId) => findTaskStatus(this.deps.db.sql, tenant.tenantId, taskId),
      },
      patients: createPatientRecords(this.deps.db.sql, this.envelope, this.deps.privacy),
      recordDataWritten: (table, recordId) => {
        this.audit.data_written.push({ table, record_id: recordId });
      },
    };
    // The run must not outlive its lock: past the timeout it is abandoned as a retryable failure.
    let onAbort: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      onAbort = () => reject(new WorkflowError('timeout', `run exceeded ${workflow.timeoutMs} ms or the worker is shutting down`));
      signal.addEventListener('abort', onAbort, { once: true });
    });
    try {
      return await Promise.race([workflow.run(ctx), aborted]);
    } finally {
      clearTimeout(timer);
      shutdown?.removeEventListener('abort', onShutdown);
      if (onAbort) signal.removeEventListener('abort', onAbort);
      aborted.catch(() => {});
    }
  }

  /**
   * ctx.effect: at most once per (key, name); the result and its event are committed together. A call
   * that may have reached the vendor (`unknown`, or an intent an earlier attempt left) is never repeated
   * blindly: the vendor is asked first (run/uncertain-effect.ts).
   */
  private async effect<T>(name: string, spec: EffectSpec<T>, fn: (io: EffectIo) => Promise<T>, signal: AbortSignal): Promise<T> {
    const lease = this.requireLease();
    const prior = this.journal.get(name);
    if (prior?.state === 'completed') {
      // Done by an earlier attempt: reuse, do not call the vendor again.
      this.audit.external_calls.push({ service: prior.service, endpoint: prior.endpoint, latency_ms: prior.latencyMs ?? 0, success: true });
      if (prior.eventId) this.audit.data_written.push({ table: 'events', record_id: prior.eventId });
      return prior.result as T;
    }
    const meta = this.envelope.meta;
    const target = maskDestination(spec.target);
    const entry = { lease, effectName: name, tenantId: meta.tenant_id, workflowRunId: meta.workflow_run_id, service: spec.service, endpoint: spec.endpoint, target };
    const idempotencyToken = sha256Hex(`${meta.idempotency_key}|${name}`).slice(0, 48);
    const settle = {
      sql: this.deps.db.sql,
      log: this.log,
      signal,
      idempotencyToken,
      listingDelayMs: this.deps.listingDelayMs ?? DEFAULT_LISTING_DELAY_MS,
      lastAttempt: this.attempt.attemptsMade + 1 >= this.attempt.maxAttempts,
    };
    const uncertain = (intentAt: Date, cause: UncertaintyCause): UncertainCall<T> => ({
      effectName: name, spec, lease: spec.vendorDedupes ? null : lease, runId: meta.workflow_run_id, intentAt, target, cause,
    });

    if (!spec.vendorDedupes && (prior?.state === 'started' || prior?.state === 'unknown')) {
      // An earlier attempt's call may have reached the vendor (a lost answer, or a worker that died).
      const cause: UncertaintyCause = prior.state === 'started'
        ? { kind: 'interrupted' }
        : { kind: 'lost_answer', code: FailureCode.safeParse(prior.failureCode).data ?? 'vendor_unavailable' };
      const verdict = await askVendor(settle, uncertain(prior.intentAt ?? new Date(0), cause));
      if (verdict.kind === 'found') return this.completeEffect(name, spec, entry, verdict.resource, 0);
      // Proven absent: fall through to exactly one new call.
    }
    // The intent row lets a later attempt tell "maybe sent" from "not sent". A vendor that dedupes by
    // our token makes "maybe sent" safe to repeat, so those effects skip the intent's round trip.
    const intentAt = new Date();
    if (!spec.vendorDedupes && !(await groupCommitFor(this.deps.db.sql).startEffect(entry))) {
      throw new WorkflowError('lock_lost', `lost the key before effect ${name}`);
    }

    const t0 = performance.now();
    const span = this.attempt.trace?.vendorCall(name, spec.service, spec.endpoint);
    let result: T;
    try {
      result = await fn({ signal, idempotencyToken });
    } catch (error) {
      const latencyMs = Math.round(performance.now() - t0);
      this.recordCall({ service: spec.service, endpoint: spec.endpoint, latency_ms: latencyMs, success: false });
      const code: FailureCode = isWorkflowError(error) ? error.code : 'internal_error';
      const outcome = outcomeOfFailure(error);
      span?.end({ success: false, code: outcome === 'not_sent' ? code : 'effect_outcome_unknown' });
      if (outcome === 'not_sent') {
        // Nothing reached the vendor, or it refused: calling again cannot double it.
        if (!spec.vendorDedupes) await failEffect(this.deps.db.sql, { ...entry, latencyMs, failureCode: code });
        throw error;
      }
      // The vendor may have acted: the entry says so, and only its own records or a person settle it.
      if (!spec.vendorDedupes && !(await markEffectUnknown(this.deps.db.sql, { lease, effectName: name, latencyMs, failureCode: code }))) {
        throw new WorkflowError('lock_lost', `lost the key during effect ${name}`);
      }
      // Shutting down or out of time: the next attempt asks the vendor.
      if (signal.aborted || (spec.vendorDedupes && !spec.reconcile)) throw error;
      const httpStatus = isWorkflowError(error) && typeof error.details?.['httpStatus'] === 'number' ? error.details['httpStatus'] : undefined;
      const verdict = await askVendor(settle, uncertain(intentAt, { kind: 'lost_answer', code, ...(httpStatus === undefined ? {} : { httpStatus }) }));
      if (verdict.kind === 'found') return this.completeEffect(name, spec, entry, verdict.resource, latencyMs);
      // Proven absent (or a deduping vendor): not sent after all; the retry makes the one new call.
      if (!spec.vendorDedupes) await failEffect(this.deps.db.sql, { ...entry, latencyMs, failureCode: code });
      throw error;
    }
    const latencyMs = Math.round(performance.now() - t0);
    span?.end({ success: true });
    this.recordCall({ service: spec.service, endpoint: spec.endpoint, latency_ms: latencyMs, success: true });
    return this.completeEffect(name, spec, entry, result, latencyMs);
  }

  /** Journals an effect's result with its event (deferred to the outcome for deduping vendors) and returns it. */
  private async completeEffect<T>(
    name: string,
    spec: EffectSpec<T>,
    entry: Omit<FinishEffect, 'result' | 'latencyMs' | 'event'>,
    result: T,
    latencyMs: number,
  ): Promise<T> {
    const meta = this.envelope.meta;
    const eventId = newEventId();
    const event: EventRow = {
      eventId,
      workflowRunId: meta.workflow_run_id,
      rootRunId: meta.root_run_id,
      tenantId: meta.tenant_id,
      subject: subjectIds(this.envelope),
      eventType: spec.eventType,
      direction: spec.direction ?? 'outbound',
      payloadRef: `effects/${contractHash(meta.idempotency_key).slice(7, 31)}/${name}`,
      // phi_minimized events keep their payload_ref only.
      payload: this.phi ? null : spec.eventPayload ? spec.eventPayload(result) : (result ?? null),
    };
    const stored = this.storedValue(result ?? null);
    if (spec.vendorDedupes) {
      // Journaled with the attempt's outcome, one round trip for all of them. If this worker dies first,
      // the next attempt calls again with the same token and the vendor answers from its dedupe.
      this.deferredEffects.push({ effectName: name, service: spec.service, endpoint: spec.endpoint, result: stored, latencyMs, event });
    } else {
      const recorded = await groupCommitFor(this.deps.db.sql).completeEffect({ ...entry, result: stored, latencyMs, event });
      if (!recorded) throw new WorkflowError('lock_lost', `lost the key during effect ${name}`);
    }
    this.journal.set(name, {
      effectName: name,
      state: 'completed',
      attempts: 1,
      result,
      service: spec.service,
      endpoint: spec.endpoint,
      latencyMs,
      success: true,
      eventId,
    });
    this.audit.data_written.push({ table: 'events', record_id: eventId });
    return result;
  }

  private recordCall(call: ExternalCall): void {
    this.audit.external_calls.push(call);
    this.callsMade.push(call);
  }

  private requireLease(): Lease {
    if (!this.lease) throw new Error('effect called before the idempotency key was claimed');
    return this.lease;
  }

  async finishOk(result: WorkflowResult): Promise<AttemptOutcome> {
    const workflow = this.workflow!;
    const endedAt = new Date();
    const { latencyMs, breach } = this.latency(endedAt);
    const nextActions: NextAction[] = (result.next_actions ?? []).map((a) => ({
      action: 'CALL_WORKFLOW',
      workflow: a.workflow,
      payload: a.payload,
      priority: a.priority ?? 'normal',
      run_after_utc: a.run_after_utc ?? null,
    }));
    const fallback = this.fallback(latencyMs, breach, null);
    if (fallback) nextActions.push(fallback);
    if (result.phi_touched !== undefined) this.audit.phi_touched = result.phi_touched;
    if (result.disclaimer_used !== undefined) this.audit.disclaimer_used = result.disclaimer_used;
    const output = buildOutput({
      meta: this.envelope.meta,
      startedAt: this.startedAt,
      endedAt,
      clockStart: this.clockStart,
      retryCount: this.attempt.attemptsMade,
      latencyBreach: breach,
      status: 'ok',
      summary: result.summary,
      primaryOutputs: { ...(result.primary_outputs ?? {}), ...policyUsed(workflow, this.envelope) },
      nextActions,
      audit: this.audit,
      failure: null,
      inputsHash: this.inputsHash,
    });
    const checked = validateOutput(output);
    if (!checked.ok) {
      const reason = checked.issues.map((i) => `${i.path}: ${i.rule}`).join('; ');
      this.log.error({ issues: checked.issues }, 'workflow produced an output that breaks the contract');
      return this.finishTerminal(new StageFailure('invalid_output', 'build_standard_output', `output contract violated: ${reason}`));
    }
    const outcome = await this.write(checked.value, 'completed');
    if (outcome.kind === 'done') {
      this.log.info({ status: 'ok', latency_ms: latencyMs, latency_breach: breach, next_actions: nextActions.length }, 'run finished');
      if (breach) await this.alertOnRepeatedBreach(latencyMs);
    }
    return outcome;
  }

  async finishNoop(priorRunId: string, priorStatus: string | null, priorOutputsHash: string | null): Promise<AttemptOutcome> {
    const endedAt = new Date();
    // A duplicate is measured like any run; its fallback, if the call needed one, was the first run's to give.
    const { latencyMs, breach } = this.latency(endedAt);
    const output = buildOutput({
      meta: this.envelope.meta,
      startedAt: this.startedAt,
      endedAt,
      clockStart: this.clockStart,
      retryCount: this.attempt.attemptsMade,
      latencyBreach: breach,
      status: 'noop',
      summary: `duplicate of ${priorRunId}; already processed`,
      primaryOutputs: { prior_run_id: priorRunId, prior_status: priorStatus, prior_outputs_hash: priorOutputsHash },
      nextActions: [],
      audit: this.audit,
      failure: null,
      inputsHash: this.inputsHash,
    });
    this.log.info({ prior_run_id: priorRunId, latency_ms: latencyMs, latency_breach: breach }, 'duplicate delivery absorbed by the ledger');
    // A redelivery of the very run that finished (same run id) has nothing to record: its row is final.
    if (priorRunId === this.envelope.meta.workflow_run_id) return { kind: 'done', output };
    const written = await this.write(output, null);
    if (written.kind !== 'lost' && breach) await this.alertOnRepeatedBreach(latencyMs);
    return written;
  }

  /** Maps anything thrown after the claim to retry, terminal, or lost. */
  async finishFailure(error: unknown): Promise<AttemptOutcome> {
    const failure = toStageFailure(error);
    if (failure.code === 'lock_lost') {
      this.log.warn({ code: failure.code }, 'lease lost to another worker; abandoning this attempt');
      return { kind: 'lost', reason: failure.message };
    }
    const cls = classifyFailure(failure.code);
    if (!cls.retryable) return this.finishTerminal(failure);
    const isLast = this.attempt.attemptsMade + 1 >= this.attempt.maxAttempts;
    if (isLast) {
      return this.finishTerminal(
        new StageFailure('attempts_exhausted', failure.stage, `gave up after ${this.attempt.maxAttempts} attempts; last: ${failure.code}: ${failure.message}`),
      );
    }
    return this.finishRetry(failure);
  }

  private async finishRetry(failure: StageFailure): Promise<AttemptOutcome> {
    const workflow = this.workflow!;
    const delayMs = computeBackoffMs({
      failures: this.attempt.attemptsMade + 1,
      baseMs: workflow.backoff.baseMs,
      maxMs: workflow.backoff.maxMs,
      retryAfterMs: failure.retryAfterMs,
    });
    const endedAt = new Date();
    const { latencyMs, breach } = this.latency(endedAt);
    const output = buildOutput({
      meta: this.envelope.meta,
      startedAt: this.startedAt,
      endedAt,
      clockStart: this.clockStart,
      // This output announces retry number attemptsMade + 1: the first retry reports 1.
      retryCount: this.attempt.attemptsMade + 1,
      latencyBreach: breach,
      status: 'retry',
      summary: `${failure.code}: retrying in ${delayMs} ms`,
      primaryOutputs: { retry_in_ms: delayMs, attempt: this.attempt.attemptsMade + 1, max_attempts: this.attempt.maxAttempts },
      // Informational: BullMQ re-runs this same job (same key, same run id) when it is due. A retry
      // output writes nothing to the outbox, so neither this nor a fallback is dispatched from it; the
      // attempt that ends the run gives the fallback if it is still needed.
      nextActions: [
        {
          action: 'RETRY_SCHEDULED',
          workflow: workflow.name,
          payload: { retry_of: this.envelope.meta.workflow_run_id, retry_count: this.attempt.attemptsMade + 1 },
          priority: 'normal',
          run_after_utc: new Date(endedAt.getTime() + delayMs).toISOString(),
        },
      ],
      audit: this.audit,
      failure: { code: failure.code, stage: failure.stage, reason: failure.message },
      inputsHash: this.inputsHash,
    });
    const event = this.internalEvent('run.retry_scheduled', { failure_code: failure.code, retry_in_ms: delayMs });
    const written = await groupCommitFor(this.deps.db.sql).record({
      run: this.runRecord(output),
      ledger: this.lease ? { lease: this.lease, action: 'release' } : undefined,
      effects: this.deferredEffects,
      events: [event],
    });
    if (!written) return { kind: 'lost', reason: 'lease lost before the retry was recorded' };
    this.log.warn({ code: failure.code, delay_ms: delayMs, latency_ms: latencyMs, latency_breach: breach }, 'attempt failed; retry scheduled');
    if (breach) await this.alertOnRepeatedBreach(latencyMs);
    return { kind: 'retry', output, delayMs, code: failure.code, reason: failure.message, callsMade: this.callsMade };
  }

  async finishTerminal(failure: StageFailure): Promise<AttemptOutcome> {
    const cls = classifyFailure(failure.code);
    const status: ResultStatus = cls.status === 'retry' ? 'failed' : cls.status;
    const workflow = this.workflow;
    const meta = this.envelope.meta;
    const escalate = cls.escalate && !workflow?.isEscalation;
    const task: TaskEntry | undefined = escalate
      ? { taskId: newTaskId(), kind: 'escalation', failureCode: failure.code, reason: failure.message.slice(0, 500) }
      : undefined;
    const nextActions: NextAction[] = task
      ? [
          {
            action: 'CALL_WORKFLOW',
            workflow: ESCALATION_WORKFLOW,
            payload: { task_id: task.taskId, source_run_id: meta.workflow_run_id, source_workflow: meta.workflow_name, failure_code: failure.code },
            priority: 'high',
            run_after_utc: null,
          },
        ]
      : [];
    const endedAt = new Date();
    const { latencyMs, breach } = this.latency(endedAt);
    // A real-time caller must not be left in silence by a failed turn either.
    const fallback = this.fallback(latencyMs, breach, failure.code);
    if (fallback) nextActions.push(fallback);
    const output = buildOutput({
      meta,
      startedAt: this.startedAt,
      endedAt,
      clockStart: this.clockStart,
      retryCount: this.attempt.attemptsMade,
      latencyBreach: breach,
      status,
      summary: `${failure.code} at ${failure.stage}`,
      primaryOutputs: { ...(failure.details ?? {}), ...(workflow ? policyUsed(workflow, this.envelope) : {}) },
      nextActions,
      audit: this.audit,
      failure: { code: failure.code, stage: failure.stage, reason: failure.message },
      inputsHash: this.inputsHash,
    });
    const events = task ? [this.internalEvent('task.created', { task_id: task.taskId, failure_code: failure.code })] : [];
    if (task) output.audit.data_written.push({ table: 'tasks', record_id: task.taskId });
    const written = await this.write(output, 'failed', task, events);
    if (written.kind === 'lost') return written;
    if (cls.escalate && workflow?.isEscalation) {
      await recordAlert(this.deps.db.sql, {
        alertId: newAlertId(),
        tenantId: meta.tenant_id,
        kind: 'escalation_failed',
        workflowName: meta.workflow_name,
        workflowRunId: meta.workflow_run_id,
        dedupeKey: `escalation_failed:${meta.idempotency_key}`,
        details: { failure_code: failure.code },
      });
    }
    this.log.warn({ code: failure.code, stage: failure.stage, status, escalated: escalate, latency_ms: latencyMs, latency_breach: breach }, 'run ended terminally');
    if (breach) await this.alertOnRepeatedBreach(latencyMs);
    return { kind: 'terminal', output, code: failure.code, reason: failure.message, callsMade: this.callsMade };
  }

  /** One statement: ledger transition (when this attempt owns the key), run row, outbox, task, events. */
  private async write(
    output: OutputContract,
    ledgerState: 'completed' | 'failed' | null,
    task?: TaskEntry,
    events: EventRow[] = [],
  ): Promise<AttemptOutcome> {
    const written = await groupCommitFor(this.deps.db.sql).record({
      run: this.runRecord(output),
      ledger:
        this.lease && ledgerState
          ? { lease: this.lease, action: 'finish', state: ledgerState, resultStatus: output.result.status, outputsHash: output.meta_out.outputs_hash }
          : undefined,
      outbox: output.result.next_actions.map((a, index) => {
        const outboxId = newOutboxId();
        return {
          outboxId,
          actionIndex: index,
          workflow: a.workflow,
          payload: this.storedValue(a.payload) as Record<string, unknown>,
          // The child needs the real payload: sealed (bound to its outbox row) until the dispatcher has handed it over.
          sealedPayload: this.phi && this.deps.privacy ? this.deps.privacy.sealer.seal(a.payload, sealContext.outbox(outboxId)) : null,
          priority: a.priority,
          runAfter: a.run_after_utc,
        };
      }),
      task,
      events,
      effects: this.deferredEffects,
    });
    if (!written) return { kind: 'lost', reason: 'lease lost before the outcome was recorded' };
    if (output.result.status === 'ok' || output.result.status === 'noop') return { kind: 'done', output, callsMade: this.callsMade };
    return { kind: 'terminal', output, code: output.meta_out.failure_code ?? 'internal_error', reason: output.meta_out.failure_reason ?? '', callsMade: this.callsMade };
  }

  /** A value as it may be stored: redacted for phi_minimized runs (nothing at all without a guard). */
  private storedValue(value: unknown): unknown {
    if (!this.phi) return value;
    return this.deps.privacy ? this.deps.privacy.redactor.redact(value).value : null;
  }

  private storedEnvelope(): Envelope {
    if (!this.phi) return this.envelope;
    if (this.deps.privacy) return redactEnvelope(this.deps.privacy, this.envelope);
    return { meta: this.envelope.meta, subject: this.envelope.subject, payload: {} };
  }

  private storedOutput(output: OutputContract): OutputContract {
    if (this.deps.privacy) return redactOutput(this.deps.privacy, output);
    return { ...output, result: { ...output.result, primary_outputs: {}, next_actions: output.result.next_actions.map((a) => ({ ...a, payload: {} })) } };
  }

  private runRecord(output: OutputContract): RunRecord {
    const meta = this.envelope.meta;
    return {
      workflowRunId: meta.workflow_run_id,
      parentRunId: meta.parent_run_id ?? null,
      rootRunId: meta.root_run_id,
      correlationId: meta.correlation_id,
      tenantId: meta.tenant_id,
      workflowName: meta.workflow_name,
      workflowVersion: meta.workflow_version,
      idempotencyKey: meta.idempotency_key,
      jobId: this.attempt.jobId,
      lane: this.workflow?.lane ?? this.attempt.lane,
      triggerSource: meta.trigger_source,
      triggerId: meta.trigger_id,
      privacyMode: meta.privacy_mode,
      status: output.result.status,
      failureCode: output.meta_out.failure_code,
      failureStage: output.meta_out.failure_stage,
      retryCount: output.meta_out.retry_count,
      latencyMs: output.meta_out.latency_ms,
      latencyBreach: output.meta_out.latency_breach,
      inputsHash: output.meta_out.inputs_hash,
      outputsHash: output.meta_out.outputs_hash,
      envelope: this.storedEnvelope(),
      output: this.phi ? this.storedOutput(output) : output,
      startedAt: this.startedAt,
      endedAt: new Date(output.meta_out.ended_at_utc),
    };
  }

  private internalEvent(eventType: string, payload: Record<string, unknown>): EventRow {
    const meta = this.envelope.meta;
    return {
      eventId: newEventId(),
      workflowRunId: meta.workflow_run_id,
      rootRunId: meta.root_run_id,
      tenantId: meta.tenant_id,
      subject: subjectIds(this.envelope),
      eventType,
      direction: 'internal',
      payloadRef: `runs/${meta.workflow_run_id}`,
      payload: this.phi ? null : payload,
    };
  }

  private latency(endedAt: Date) {
    return measureLatency(this.clockStart, endedAt, this.currentBudgetMs());
  }

  private currentBudgetMs(): number | null {
    return this.budgetMs !== undefined ? this.budgetMs : (this.workflow?.latencyBudgetMs ?? null);
  }

  private fallback(latencyMs: number, breach: boolean, failureCode: FailureCode | null): NextAction | null {
    const workflow = this.workflow;
    // WF71's own failures must not call WF71 again (that would loop).
    if (!workflow || workflow.name === FALLBACK_WORKFLOW) return null;
    return fallbackAction({
      channel: workflow.channel,
      payload: this.envelope.payload,
      sourceRunId: this.envelope.meta.workflow_run_id,
      sourceWorkflow: workflow.name,
      latencyMs,
      budgetMs: this.currentBudgetMs(),
      breach,
      failureCode,
    });
  }

  private async alertOnRepeatedBreach(latencyMs: number): Promise<void> {
    const meta = this.envelope.meta;
    const { count, windowMs } = this.deps.breachAlert;
    const breaches = await countRecentBreaches(this.deps.db.sql, meta.tenant_id, meta.workflow_name, windowMs);
    this.log.warn({ latency_ms: latencyMs, budget_ms: this.currentBudgetMs(), breaches_in_window: breaches }, 'latency budget breached');
    if (breaches < count) return;
    // One alert per tenant, workflow and window: a burst of breaches raises one alert, not hundreds.
    const created = await recordAlertUnlessRecent(this.deps.db.sql, {
      alertId: newAlertId(),
      tenantId: meta.tenant_id,
      kind: 'latency_breach_repeated',
      workflowName: meta.workflow_name,
      workflowRunId: meta.workflow_run_id,
      dedupeKey: `latency:${meta.tenant_id}:${meta.workflow_name}:${meta.workflow_run_id}`,
      details: { breaches, window_ms: windowMs, threshold: count, budget_ms: this.currentBudgetMs() },
    }, windowMs);
    if (created) this.log.error({ breaches, window_ms: windowMs }, 'repeated latency breaches: alert raised');
  }
}

function subjectIds(envelope: Envelope): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(envelope.subject)) if (v) out[k] = v;
  return out;
}

/** Errors thrown by workflows or by our own infrastructure, as a classified stage failure. */
function toStageFailure(error: unknown): StageFailure {
  if (error instanceof StageFailure) return error;
  if (isWorkflowError(error)) {
    return new StageFailure(error.code, error.stage ?? 'core_logic', error.message, error.retryAfterMs, error.details);
  }
  if (isInfrastructureError(error)) {
    return new StageFailure('network', 'core_logic', `infrastructure unavailable: ${(error as Error).message}`);
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return new StageFailure('internal_error', 'core_logic', message);
}

/**
 * PostgreSQL or Redis being unreachable is transient: a connection-class
 * SQLSTATE (08, 57P), a serialization failure or deadlock, or a socket error.
 */
export function isInfrastructureError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const code = String((error as { code?: unknown }).code ?? '');
  return (
    code.startsWith('08') ||
    code.startsWith('57P') ||
    code === '40001' ||
    code === '40P01' ||
    code === '53300' ||
    ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'CONNECTION_CLOSED', 'CONNECTION_ENDED', 'CONNECTION_DESTROYED', 'CONNECT_TIMEOUT'].includes(code)
  );
}

/**
 * An envelope that fails validation. When its `meta` alone is sound we can
 * still write a failed run (with its issues) and escalate; otherwise nothing
 * identifies the run, so we write an alert carrying the field paths (never the
 * values: they may be PHI).
 */
async function rejectInvalidEnvelope(
  deps: PipelineDeps,
  data: unknown,
  issues: FieldIssue[],
  attempt: AttemptInfo,
  startedAt: Date,
): Promise<AttemptOutcome> {
  const reason = issues.map((i) => `${i.path}: ${i.rule}`).join('; ').slice(0, 1000);
  const raw = (typeof data === 'object' && data !== null ? data : {}) as Record<string, unknown>;
  const meta = EnvelopeMeta.safeParse(raw.meta);
  if (!meta.success) {
    await recordAlert(deps.db.sql, {
      alertId: newAlertId(),
      tenantId: null,
      kind: 'invalid_envelope',
      workflowName: null,
      workflowRunId: null,
      dedupeKey: `invalid_envelope:${attempt.jobId}`,
      details: { job_id: attempt.jobId, lane: attempt.lane, issues: issues.map(({ path, rule }) => ({ path, rule })) },
    });
    deps.log.error({ job_id: attempt.jobId, issues: issues.map(({ path, rule }) => ({ path, rule })) }, 'invalid envelope rejected');
    return { kind: 'terminal', output: null, code: 'invalid_input', reason };
  }
  // Keep what is sound: the stored envelope must not carry the invalid parts.
  const envelope: Envelope = { meta: meta.data, subject: {}, payload: {} };
  const log = deps.log.child({ workflow: meta.data.workflow_name, workflow_run_id: meta.data.workflow_run_id, root_run_id: meta.data.root_run_id, correlation_id: meta.data.correlation_id });
  const run = new RunState(deps, envelope, attempt, startedAt, log);
  run.workflow = deps.catalog.get(meta.data.workflow_name, meta.data.workflow_version) ?? null;
  return run.finishTerminal(
    new StageFailure('invalid_input', 'validate_envelope', reason, undefined, { issues: issues.map(({ path, rule, message }) => ({ path, rule, message })) }),
  );
}


