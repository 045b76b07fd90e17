/**
 * `ctx.effect` and the effect journal of one attempt (G. Log_Event happens here, atomically with
 * each effect): at most once per (key, name), the result and its event committed together. A call
 * that may have reached the vendor (`unknown`, or an intent an earlier attempt left) is never
 * repeated blindly: the vendor is asked first (uncertain-effect.ts).
 */
import { contractHash, FailureCode, isWorkflowError, newEventId, outcomeOfFailure, sha256Hex, WorkflowError, type Audit, type Envelope, type ExternalCall } from '@revos/envelope';
import { failEffect, markEffectUnknown, type DeferredEffect, type EventRow, type JournalEntry, type Lease, type Sql, type StartEffect } from '@revos/db';
import type { Logger } from 'pino';
import type { EffectIo, EffectSpec } from '../definition/define-workflow.js';
import { groupCommitFor } from '../commit/group-commit.js';
import type { AttemptTrace } from '../tracing/attempt-trace.js';
import { isRunDeferral } from './deferral.js';
import { maskDestination } from './mask-destination.js';
import type { StoredRows } from './stored-rows.js';
import { askVendor, type UncertainCall, type UncertaintyCause } from './uncertain-effect.js';

/** How long after a call a vendor's lookup is trusted to list it, unless the effect says otherwise. */
export const DEFAULT_LISTING_DELAY_MS = 60_000;

export interface EffectJournalOptions {
  sql: Sql;
  envelope: Envelope;
  rows: StoredRows;
  /** The attempt's audit: every call and every event row is listed there. */
  audit: Audit;
  log: Logger;
  /** Whether this attempt is the job's last: an uncertain call then goes to staff instead of a retry. */
  lastAttempt: boolean;
  listingDelayMs: number | undefined;
  trace: AttemptTrace | undefined;
}

/** The journal entry an effect writes its intent, result or failure to. */
type JournalTarget = StartEffect;

export class EffectJournal {
  /** Set once the idempotency key is claimed: effects run under it. */
  lease: Lease | null = null;
  private entries = new Map<string, JournalEntry>();
  /** Effects against deduping vendors, journaled with whatever outcome this attempt writes. */
  readonly deferred: DeferredEffect[] = [];
  /** Calls this attempt made (audit.external_calls adds the ones reused from the journal). */
  readonly callsMade: ExternalCall[] = [];
  /** `effects/<this>/<name>`: the payload_ref of the key's effect events (one hash per attempt, not per effect). */
  private refPrefix: string | null = null;

  constructor(private readonly o: EffectJournalOptions) {}

  /** The key is this attempt's; `entries` is what earlier attempts journaled under it (none for a fresh claim). */
  claimed(lease: Lease, entries?: Map<string, JournalEntry>): void {
    this.lease = lease;
    if (entries) this.entries = entries;
  }

  async effect<T>(name: string, spec: EffectSpec<T>, fn: (io: EffectIo) => Promise<T>, signal: AbortSignal): Promise<T> {
    const lease = this.lease;
    if (!lease) throw new Error('effect called before the idempotency key was claimed');
    const prior = this.entries.get(name);
    if (prior?.state === 'completed') {
      // Done by an earlier attempt: reuse, do not call the vendor again.
      this.o.audit.external_calls.push({ service: prior.service, endpoint: prior.endpoint, latency_ms: prior.latencyMs ?? 0, success: true });
      if (prior.eventId) this.o.audit.data_written.push({ table: 'events', record_id: prior.eventId });
      return prior.result as T;
    }
    const meta = this.o.envelope.meta;
    const sql = this.o.sql;
    const target = maskDestination(spec.target);
    const entry: JournalTarget = { lease, effectName: name, tenantId: meta.tenant_id, workflowRunId: meta.workflow_run_id, service: spec.service, endpoint: spec.endpoint, target };
    const idempotencyToken = sha256Hex(`${meta.idempotency_key}|${name}`).slice(0, 48);
    const settle = {
      sql,
      log: this.o.log,
      signal,
      idempotencyToken,
      listingDelayMs: this.o.listingDelayMs ?? DEFAULT_LISTING_DELAY_MS,
      lastAttempt: this.o.lastAttempt,
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
      if (verdict.kind === 'found') return this.complete(name, spec, entry, verdict.resource, 0);
      // Proven absent: fall through to exactly one new call.
    }
    // Gates that hold or stop the call itself (quiet hours, pacing, expiry): before any journal write.
    if (spec.admit) await spec.admit();
    // The intent row lets a later attempt tell "maybe sent" from "not sent". A vendor that dedupes by
    // our token makes "maybe sent" safe to repeat, so those effects skip the intent's round trip.
    const intentAt = new Date();
    if (!spec.vendorDedupes && !(await groupCommitFor(sql).startEffect(entry))) {
      throw new WorkflowError('lock_lost', `lost the key before effect ${name}`);
    }

    const t0 = performance.now();
    const span = this.o.trace?.vendorCall(name, spec.service, spec.endpoint);
    let result: T;
    try {
      result = await fn({ signal, idempotencyToken });
    } catch (error) {
      const latencyMs = Math.round(performance.now() - t0);
      this.recordCall({ service: spec.service, endpoint: spec.endpoint, latency_ms: latencyMs, success: false });
      // A deferral thrown from the call is the vendor pushing back on the sender's rate.
      const code: FailureCode = isWorkflowError(error) ? error.code : isRunDeferral(error) ? 'rate_limited' : 'internal_error';
      const outcome = outcomeOfFailure(error);
      // The call's own code and outcome, as the journal and the attempt record them (a lost answer is
      // `unknown`; what the run makes of it comes after the vendor is asked).
      span?.end({ success: false, code, outcome });
      // A deduping vendor's failed call leaves a `failed` entry (it wrote no intent): the call is counted.
      const failed = () => failEffect(sql, { ...entry, latencyMs, failureCode: code });
      if (outcome === 'not_sent') {
        // Nothing reached the vendor, or it refused: calling again cannot double it.
        await failed();
        throw error;
      }
      // The vendor may have acted: the entry says so, and only its own records or a person settle it.
      if (!spec.vendorDedupes && !(await markEffectUnknown(sql, { lease, effectName: name, latencyMs, failureCode: code }))) {
        throw new WorkflowError('lock_lost', `lost the key during effect ${name}`);
      }
      // Shutting down or out of time: the next attempt asks the vendor (a deduping one is simply called again).
      if (signal.aborted || (spec.vendorDedupes && !spec.reconcile)) {
        if (spec.vendorDedupes) await failed();
        throw error;
      }
      const httpStatus = isWorkflowError(error) && typeof error.details?.['httpStatus'] === 'number' ? error.details['httpStatus'] : undefined;
      const verdict = await askVendor(settle, uncertain(intentAt, { kind: 'lost_answer', code, ...(httpStatus === undefined ? {} : { httpStatus }) }));
      if (verdict.kind === 'found') return this.complete(name, spec, entry, verdict.resource, latencyMs);
      // Proven absent (or a deduping vendor): not sent after all; the retry makes the one new call.
      await failed();
      throw error;
    }
    const latencyMs = Math.round(performance.now() - t0);
    span?.end({ success: true, outcome: 'sent' });
    this.recordCall({ service: spec.service, endpoint: spec.endpoint, latency_ms: latencyMs, success: true });
    return this.complete(name, spec, entry, result, latencyMs);
  }

  /** Journals an effect's result with its event (deferred to the outcome for deduping vendors) and returns it. */
  private async complete<T>(name: string, spec: EffectSpec<T>, entry: JournalTarget, result: T, latencyMs: number): Promise<T> {
    const meta = this.o.envelope.meta;
    const rows = this.o.rows;
    this.refPrefix ??= contractHash(meta.idempotency_key).slice(7, 31);
    const eventId = newEventId();
    const event: EventRow = {
      eventId,
      workflowRunId: meta.workflow_run_id,
      rootRunId: meta.root_run_id,
      tenantId: meta.tenant_id,
      subject: rows.subject,
      eventType: spec.eventType,
      direction: spec.direction ?? 'outbound',
      payloadRef: `effects/${this.refPrefix}/${name}`,
      // Only computed for runs that may store it.
      payload: rows.phi ? null : spec.eventPayload ? spec.eventPayload(result) : (result ?? null),
    };
    const stored = rows.value(result ?? null);
    if (spec.vendorDedupes) {
      // Journaled with the attempt's outcome, one round trip for all of them. If this worker dies first,
      // the next attempt calls again with the same token and the vendor answers from its dedupe.
      this.deferred.push({ effectName: name, service: spec.service, endpoint: spec.endpoint, result: stored, latencyMs, event });
    } else {
      const recorded = await groupCommitFor(this.o.sql).completeEffect({ ...entry, result: stored, latencyMs, event });
      if (!recorded) throw new WorkflowError('lock_lost', `lost the key during effect ${name}`);
    }
    this.entries.set(name, {
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
    this.o.audit.data_written.push({ table: 'events', record_id: eventId });
    return result;
  }

  private recordCall(call: ExternalCall): void {
    this.o.audit.external_calls.push(call);
    this.callsMade.push(call);
  }
}
