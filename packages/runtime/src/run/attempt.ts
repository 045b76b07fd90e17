/**
 * The state of one attempt and its endings. Whatever the pipeline learns on the way (the workflow,
 * the lease, the budget, the audit, the effects) is kept here; each ending (ok, noop, retry,
 * terminal) builds its output with the one builder, writes every durable fact in one statement and
 * says what BullMQ should do.
 */
import { classifyFailure, envelopeHash, newAlertId, newTaskId, type Envelope, type ExternalCall, type FailureCode, type NextAction, type OutputContract } from '@revos/envelope';
import { isRunAccepted, recordAlert, type Db, type EventRow, type JournalEntry, type Lease, type LedgerTransition, type TaskEntry } from '@revos/db';
import type { Logger } from 'pino';
import { computeBackoffMs } from './backoff.js';
import type { AnyWorkflow, WorkflowResult } from '../definition/define-workflow.js';
import { groupCommitFor } from '../commit/group-commit.js';
import type { Lane } from '../definition/lanes.js';
import { emptyAudit, inputsHashOf, OutputBuilder, validateWorkflowParts, type OutputEnding } from './output.js';
import type { PrivacyGuard } from '../privacy/privacy-mode.js';
import type { AttemptTrace } from '../tracing/attempt-trace.js';
import { alertOnRepeatedBreach, fallbackFor, type BreachAlertRule } from './breach.js';
import { EffectJournal } from './effect-journal.js';
import { stageFailure, toStagedFailure, type StagedFailure } from './failure.js';
import { measureLatency, runClockStart, type QueueTiming } from './latency.js';
import { policyUsed } from './policy.js';
import { StoredRows } from './stored-rows.js';
import { refuseUnacceptedJob } from './unaccepted-job.js';
import type { RunDeferral } from './deferral.js';

export const ESCALATION_WORKFLOW = 'WF21_Escalate_To_Staff';

/** What the pipeline's deps give an attempt. */
export interface AttemptDeps {
  db: Db;
  log: Logger;
  breachAlert: BreachAlertRule;
  privacy?: PrivacyGuard;
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
  /** Put off until `untilMs` without spending an attempt (run/deferral.ts); nothing was sent. */
  | { kind: 'defer'; untilMs: number; delayMs: number; eventType: string; reason: string }
  | { kind: 'lost'; reason: string };

export class RunAttempt {
  workflow: AnyWorkflow | null = null;
  readonly audit = emptyAudit();
  readonly journal: EffectJournal;
  private readonly rows: StoredRows;
  private readonly outputs: OutputBuilder;
  /** Latency and the budget count from here: the trigger's arrival, not this attempt's start. */
  private readonly clockStart: Date;
  /** The budget this run is held to once its tenant is known (see `budgetFor`); the workflow's until then. */
  budgetMs: number | null | undefined;
  /** The payload's canonical JSON once node B has it: the inputs hash reuses it. */
  private payloadJson: string | undefined;
  private inputsHash: string | undefined;
  /**
   * Whether intake accepted this job: known once the claim answered (it checks acceptance in the same
   * statement). An attempt that ends before claiming asks PostgreSQL first (see finishTerminal).
   */
  private admitted = false;
  /** sha256 of the job as it came (`envelopeHash`); set by the caller when the job was not a valid envelope. */
  jobHash: string | undefined;

  constructor(
    private readonly deps: AttemptDeps,
    private readonly envelope: Envelope,
    private readonly attempt: AttemptInfo,
    private readonly startedAt: Date,
    private readonly log: Logger,
  ) {
    this.clockStart = runClockStart(envelope.meta, attempt.timing ?? {}, startedAt);
    this.rows = new StoredRows(envelope, deps.privacy);
    this.audit.phi_touched = Boolean(envelope.subject.patient_id ?? envelope.subject.lead_id);
    this.journal = new EffectJournal({
      sql: deps.db.sql,
      envelope,
      rows: this.rows,
      audit: this.audit,
      log,
      lastAttempt: attempt.attemptsMade + 1 >= attempt.maxAttempts,
      listingDelayMs: deps.listingDelayMs,
      trace: attempt.trace,
    });
    this.outputs = new OutputBuilder({
      meta: envelope.meta,
      startedAt,
      clockStart: this.clockStart,
      audit: this.audit,
      inputsHash: () => (this.inputsHash ??= inputsHashOf(this.envelope, this.payloadJson)),
    });
  }

  /** Node B serialised the payload for its hash: the inputs hash uses the same text. */
  knowPayloadJson(json: string): void {
    this.payloadJson = json;
  }

  /** sha256 of the job's envelope: what intake stored on its accepted_runs row. */
  envelopeHash(): string {
    return (this.jobHash ??= envelopeHash(this.envelope, this.payloadJson));
  }

  /** The claim answered for this run (anything but not_accepted): intake accepted it. */
  admit(): void {
    this.admitted = true;
  }

  /** The claim (or the check before a no-claim ending) found no acceptance: nothing runs, nothing but an alert is written. */
  refuseUnaccepted(failure?: StagedFailure): Promise<AttemptOutcome> {
    const issues = failure?.details?.['issues'];
    const named = Array.isArray(issues) ? issues.map((i: { path: string; rule: string }) => ({ path: i.path, rule: i.rule })) : [];
    return refuseUnacceptedJob(this.deps, this.envelope.meta, this.attempt, this.log, named);
  }

  claimed(lease: Lease, entries?: Map<string, JournalEntry>): void {
    this.journal.claimed(lease, entries);
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
      ...(a.trigger_id === undefined ? {} : { trigger_id: a.trigger_id }),
      ...(a.subject === undefined ? {} : { subject: a.subject }),
    }));
    const fallback = this.fallback(latencyMs, breach, null);
    if (fallback) nextActions.push(fallback);
    if (result.phi_touched !== undefined) this.audit.phi_touched = result.phi_touched;
    if (result.disclaimer_used !== undefined) this.audit.disclaimer_used = result.disclaimer_used;
    // Only what the workflow handed back can break the contract; the builder makes the rest right.
    const checked = validateWorkflowParts({
      result: { primary_outputs: { ...(result.primary_outputs ?? {}), ...policyUsed(workflow, this.envelope) }, next_actions: nextActions },
      audit: { data_written: this.audit.data_written, phi_touched: this.audit.phi_touched, disclaimer_used: this.audit.disclaimer_used },
    });
    if (!checked.ok) {
      const reason = checked.issues.map((i) => `${i.path}: ${i.rule}`).join('; ');
      this.log.error({ issues: checked.issues }, 'workflow produced an output that breaks the contract');
      return this.finishTerminal(stageFailure('invalid_output', 'build_standard_output', `output contract violated: ${reason}`));
    }
    const { primary_outputs, next_actions } = checked.value.result;
    const output = this.build(endedAt, breach, {
      status: 'ok',
      summary: result.summary,
      primaryOutputs: primary_outputs,
      nextActions: next_actions,
    });
    if (!(await this.record(output, this.finishLedger(output, 'completed')))) return this.lostOutcome();
    this.log.info({ status: 'ok', latency_ms: latencyMs, latency_breach: breach, next_actions: next_actions.length }, 'run finished');
    if (breach) await this.alertOnRepeatedBreach(latencyMs);
    return { kind: 'done', output, callsMade: this.journal.callsMade };
  }

  async finishNoop(priorRunId: string, priorStatus: string | null, priorOutputsHash: string | null): Promise<AttemptOutcome> {
    const endedAt = new Date();
    // A duplicate is measured like any run; its fallback, if the call needed one, was the first run's to give.
    const { latencyMs, breach } = this.latency(endedAt);
    const output = this.build(endedAt, breach, {
      status: 'noop',
      summary: `duplicate of ${priorRunId}; already processed`,
      primaryOutputs: { prior_run_id: priorRunId, prior_status: priorStatus, prior_outputs_hash: priorOutputsHash },
      nextActions: [],
    });
    this.log.info({ prior_run_id: priorRunId, latency_ms: latencyMs, latency_breach: breach }, 'duplicate delivery absorbed by the ledger');
    // A redelivery of the very run that finished (same run id) has nothing to record: its row is final.
    if (priorRunId === this.envelope.meta.workflow_run_id) return { kind: 'done', output };
    if (!(await this.record(output, undefined))) return this.lostOutcome();
    if (breach) await this.alertOnRepeatedBreach(latencyMs);
    return { kind: 'done', output, callsMade: this.journal.callsMade };
  }

  /** Maps anything thrown after the claim to retry, terminal, or lost. */
  async finishFailure(error: unknown): Promise<AttemptOutcome> {
    const failure = toStagedFailure(error);
    if (failure.code === 'lock_lost') return this.lostOutcome(failure.message);
    if (!classifyFailure(failure.code).retryable) return this.finishTerminal(failure);
    if (this.attempt.attemptsMade + 1 >= this.attempt.maxAttempts) {
      return this.finishTerminal(
        stageFailure('attempts_exhausted', failure.stage, `gave up after ${this.attempt.maxAttempts} attempts; last: ${failure.code}: ${failure.message}`),
      );
    }
    return this.finishRetry(failure);
  }

  private async finishRetry(failure: StagedFailure): Promise<AttemptOutcome> {
    const workflow = this.workflow!;
    const retryNumber = this.attempt.attemptsMade + 1;
    const delayMs = computeBackoffMs({
      failures: retryNumber,
      baseMs: workflow.backoff.baseMs,
      maxMs: workflow.backoff.maxMs,
      retryAfterMs: failure.retryAfterMs,
    });
    const endedAt = new Date();
    const { latencyMs, breach } = this.latency(endedAt);
    const output = this.build(
      endedAt,
      breach,
      {
        status: 'retry',
        summary: `${failure.code}: retrying in ${delayMs} ms`,
        primaryOutputs: { retry_in_ms: delayMs, attempt: retryNumber, max_attempts: this.attempt.maxAttempts },
        // Informational: BullMQ re-runs this same job (same key, same run id) when it is due. A retry
        // output writes nothing to the outbox, so neither this nor a fallback is dispatched from it; the
        // attempt that ends the run gives the fallback if it is still needed.
        nextActions: [
          {
            action: 'RETRY_SCHEDULED',
            workflow: workflow.name,
            payload: { retry_of: this.envelope.meta.workflow_run_id, retry_count: retryNumber },
            priority: 'normal',
            run_after_utc: new Date(endedAt.getTime() + delayMs).toISOString(),
          },
        ],
        failure: { code: failure.code, stage: failure.stage, reason: failure.message },
      },
      // This output announces retry number attemptsMade + 1: the first retry reports 1.
      retryNumber,
    );
    const event = this.rows.internalEvent('run.retry_scheduled', { failure_code: failure.code, retry_in_ms: delayMs });
    const lease = this.journal.lease;
    const written = await this.record(output, lease ? { lease, action: 'release' } : undefined, { events: [event], outbox: false });
    if (!written) return this.lostOutcome('lease lost before the retry was recorded');
    this.log.warn({ code: failure.code, delay_ms: delayMs, latency_ms: latencyMs, latency_breach: breach }, 'attempt failed; retry scheduled');
    if (breach) await this.alertOnRepeatedBreach(latencyMs);
    return { kind: 'retry', output, delayMs, code: failure.code, reason: failure.message, callsMade: this.journal.callsMade };
  }

  /**
   * Core logic put the run off (quiet hours, the sender's rate): one statement releases the claim
   * (any worker may take the run when it is due), sets the run row back to `queued` and writes the
   * lineage event saying why and until when. The attempt is not spent: BullMQ delays the same job.
   */
  async finishDeferred(deferral: RunDeferral): Promise<AttemptOutcome> {
    const lease = this.journal.lease;
    const until = new Date(deferral.untilMs).toISOString();
    const event = this.rows.internalEvent(deferral.eventType, { ...deferral.details, deferred_until: until });
    const written = await groupCommitFor(this.deps.db.sql).record({
      run: this.rows.deferredRunRecord({ jobId: this.attempt.jobId, lane: this.workflow?.lane ?? this.attempt.lane, retryCount: this.attempt.attemptsMade }),
      ledger: lease ? { lease, action: 'release' } : undefined,
      events: [event],
      // Completed effects against deduping vendors are kept: the next attempt reuses them.
      effects: this.journal.deferred,
    });
    if (!written) return this.lostOutcome('lease lost before the deferral was recorded');
    this.log.info({ event: deferral.eventType, deferred_until: until, ...deferral.details }, 'run deferred');
    return { kind: 'defer', untilMs: deferral.untilMs, delayMs: deferral.delayMs, eventType: deferral.eventType, reason: deferral.message };
  }

  async finishTerminal(failure: StagedFailure): Promise<AttemptOutcome> {
    // Before the claim nothing has checked acceptance yet: a job past intake must not write a run, a task or an outbox row.
    if (!this.admitted) {
      const meta = this.envelope.meta;
      const accepted = await isRunAccepted(this.deps.db.sql, {
        idempotencyKey: meta.idempotency_key,
        workflowRunId: meta.workflow_run_id,
        tenantId: meta.tenant_id,
        workflowName: meta.workflow_name,
        envelopeHash: this.envelopeHash(),
      });
      if (!accepted) return this.refuseUnaccepted(failure);
      this.admitted = true;
    }
    const cls = classifyFailure(failure.code);
    const status = cls.status === 'retry' ? 'failed' : cls.status;
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
    const output = this.build(endedAt, breach, {
      status,
      summary: `${failure.code} at ${failure.stage}`,
      primaryOutputs: { ...(failure.details ?? {}), ...(workflow ? policyUsed(workflow, this.envelope) : {}) },
      nextActions,
      failure: { code: failure.code, stage: failure.stage, reason: failure.message },
    });
    const events: EventRow[] = task ? [this.rows.internalEvent('task.created', { task_id: task.taskId, failure_code: failure.code })] : [];
    if (task) output.audit.data_written.push({ table: 'tasks', record_id: task.taskId });
    if (!(await this.record(output, this.finishLedger(output, 'failed'), { task, events }))) return this.lostOutcome();
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
    return { kind: 'terminal', output, code: failure.code, reason: failure.message, callsMade: this.journal.callsMade };
  }

  private build(endedAt: Date, latencyBreach: boolean, ending: OutputEnding, retryCount = this.attempt.attemptsMade): OutputContract {
    return this.outputs.build(ending, { endedAt, retryCount, latencyBreach });
  }

  /** The key's final transition, when this attempt owns it. */
  private finishLedger(output: OutputContract, state: 'completed' | 'failed'): LedgerTransition | undefined {
    const lease = this.journal.lease;
    return lease ? { lease, action: 'finish', state, resultStatus: output.result.status, outputsHash: output.meta_out.outputs_hash } : undefined;
  }

  /**
   * One statement: ledger transition (when this attempt owns the key), run row, outbox (unless the
   * output's next actions are informational), task, events and deferred effects. False: the lease was lost.
   */
  private record(
    output: OutputContract,
    ledger: LedgerTransition | undefined,
    extra: { task?: TaskEntry; events?: EventRow[]; outbox?: false } = {},
  ): Promise<boolean> {
    return groupCommitFor(this.deps.db.sql).record({
      run: this.rows.runRecord(output, { jobId: this.attempt.jobId, lane: this.workflow?.lane ?? this.attempt.lane, startedAt: this.startedAt }),
      ledger,
      ...(extra.outbox === false ? {} : { outbox: this.rows.outbox(output) }),
      task: extra.task,
      events: extra.events ?? [],
      effects: this.journal.deferred,
    });
  }

  /**
   * A write found the lease gone: another worker took the key over, or a PostgreSQL crash lost this
   * attempt's (asynchronously committed) claim. Nothing of this attempt was written.
   */
  private lostOutcome(reason = 'lease lost before the outcome was recorded'): AttemptOutcome {
    this.log.warn({ code: 'lock_lost', reason }, 'lease lost; abandoning this attempt');
    return { kind: 'lost', reason };
  }

  private latency(endedAt: Date) {
    return measureLatency(this.clockStart, endedAt, this.currentBudgetMs());
  }

  private currentBudgetMs(): number | null {
    return this.budgetMs !== undefined ? this.budgetMs : (this.workflow?.latencyBudgetMs ?? null);
  }

  private fallback(latencyMs: number, breach: boolean, failureCode: FailureCode | null): NextAction | null {
    return fallbackFor({
      workflow: this.workflow,
      payload: this.envelope.payload,
      sourceRunId: this.envelope.meta.workflow_run_id,
      latencyMs,
      budgetMs: this.currentBudgetMs(),
      breach,
      failureCode,
    });
  }

  private alertOnRepeatedBreach(latencyMs: number): Promise<void> {
    return alertOnRepeatedBreach(this.deps.db.sql, this.deps.breachAlert, this.envelope.meta, { latencyMs, budgetMs: this.currentBudgetMs() }, this.log);
  }
}
