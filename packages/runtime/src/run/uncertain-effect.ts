/**
 * Settling an effect whose outcome is unknown — the vendor may have acted, and its answer was lost (a
 * reset after the request was written, our timeout, a 5xx, a cut body), or a worker died between the
 * intent and the result. Such an effect is never called again blindly: the vendor's own records are
 * asked first (the effect's `reconcile`), and what they cannot settle becomes a concrete question for
 * staff (which effect, to which masked number, when).
 *
 * Every question asked and answer got is journaled on the effect with its evidence.
 */
import { classifyFailure, isWorkflowError, WorkflowError, type FailureCode } from '@revos/envelope';
import { recordReconciliation, type Lease, type Reconciliation, type Sql } from '@revos/db';
import type { Logger } from 'pino';
import type { EffectSpec, ReconcileAnswer } from '../definition/define-workflow.js';

/** Why the outcome is unknown: the call's answer was lost, or a worker stopped during the call. */
export type UncertaintyCause =
  | { kind: 'lost_answer'; code: FailureCode; httpStatus?: number }
  | { kind: 'interrupted' };

export interface UncertainCall<T> {
  effectName: string;
  spec: EffectSpec<T>;
  /** The run's lease, or null for an effect that writes no journal entry before its call (a deduping vendor). */
  lease: Lease | null;
  runId: string;
  /** When the uncertain call was about to be made. */
  intentAt: Date;
  /** Masked destination (`+*******0001`), or null. */
  target: string | null;
  cause: UncertaintyCause;
}

export interface SettleContext {
  sql: Sql;
  log: Logger;
  signal: AbortSignal;
  idempotencyToken: string;
  /** The worker's default; the effect's own `listingDelayMs` wins. */
  listingDelayMs: number;
  /** No later attempt will come: what cannot be proven now goes to a person now. */
  lastAttempt: boolean;
}

/** What the vendor's records allow: complete with its resource, or exactly one new call. */
export type VendorVerdict<T> = { kind: 'found'; resource: T; evidence: Record<string, unknown> } | { kind: 'call_again' };

/**
 * Asks the vendor about an uncertain call. Returns `found` (complete the effect with the resource)
 * or `call_again` (proven absent after the listing delay, or a vendor that dedupes by our token).
 * Throws a retryable WorkflowError when absence cannot be proven yet (the retry comes back after the
 * listing delay), and `effect_outcome_unknown` (terminal, a task for staff) when nothing can decide.
 */
export async function askVendor<T>(ctx: SettleContext, call: UncertainCall<T>): Promise<VendorVerdict<T>> {
  const { spec } = call;
  const log = ctx.log.child({ effect: call.effectName, service: spec.service, endpoint: spec.endpoint, target: call.target });
  if (!spec.reconcile) {
    // A vendor that dedupes by our token makes the repeat safe; anything else needs a person.
    if (spec.vendorDedupes) return { kind: 'call_again' };
    throw toStaff(call, 'there is no way to ask the vendor');
  }

  const question = `Does ${spec.service} list ${spec.endpoint} to ${call.target ?? 'its recipient'} since ${call.intentAt.toISOString()}?`;
  let answer: ReconcileAnswer<T>;
  try {
    answer = await spec.reconcile({ intentAt: call.intentAt, signal: ctx.signal, idempotencyToken: ctx.idempotencyToken });
  } catch (error) {
    const code = isWorkflowError(error) ? error.code : 'internal_error';
    await journal(ctx, call, { question, answer: 'undecidable', evidence: { lookup_error: code } });
    log.warn({ lookup_error: code }, 'vendor lookup failed; the effect stays unknown');
    if (spec.vendorDedupes) return { kind: 'call_again' };
    if (ctx.lastAttempt) throw toStaff(call, `the vendor lookup failed (${code})`);
    // The run retries for the call's sake: its code is the call's (the lookup's is in the journal's evidence).
    throw notYet(call, callCode(call), 0, `effect ${call.effectName}: vendor lookup failed (${code}); asking again later`);
  }

  switch (answer.kind) {
    case 'found': {
      const evidence = answer.evidence ?? {};
      await journal(ctx, call, { question, answer: 'found', evidence });
      log.info({ evidence }, 'vendor lists the effect: completed without calling again');
      return { kind: 'found', resource: answer.resource, evidence };
    }
    case 'absent': {
      const evidence = answer.evidence ?? {};
      // A deduping vendor may be called again at once (it answers a repeat from its dedupe).
      if (spec.vendorDedupes) {
        await journal(ctx, call, { question, answer: 'absent', evidence });
        return { kind: 'call_again' };
      }
      const delayMs = spec.listingDelayMs ?? ctx.listingDelayMs;
      const waitMs = call.intentAt.getTime() + delayMs - Date.now();
      if (waitMs <= 0) {
        await journal(ctx, call, { question, answer: 'absent', evidence: { ...evidence, listing_delay_ms: delayMs } });
        log.info({ evidence }, 'vendor proves the effect absent: one new call');
        return { kind: 'call_again' };
      }
      await journal(ctx, call, { question, answer: 'not_yet_provable', evidence: { ...evidence, listing_delay_ms: delayMs, wait_ms: waitMs } });
      if (ctx.lastAttempt) throw toStaff(call, `the vendor did not list it yet and this was the last attempt`);
      throw notYet(call, callCode(call), waitMs, `effect ${call.effectName}: not listed by the vendor yet; asking again after its listing delay`);
    }
    case 'undecidable': {
      await journal(ctx, call, { question, answer: 'undecidable', evidence: { ...answer.evidence, reason: answer.reason } });
      log.warn({ reason: answer.reason }, 'vendor cannot tell whether the effect happened; asking staff');
      throw toStaff(call, `the vendor's records cannot tell (${answer.reason})`);
    }
  }
}

async function journal<T>(ctx: SettleContext, call: UncertainCall<T>, r: Reconciliation): Promise<void> {
  if (call.lease) await recordReconciliation(ctx.sql, call.lease, call.effectName, r);
}

/** The uncertain call's own failure code (a worker that stopped mid-call has none: the vendor is taken as unavailable). */
function callCode<T>(call: UncertainCall<T>): FailureCode {
  return call.cause.kind === 'lost_answer' ? call.cause.code : 'vendor_unavailable';
}

/** Retryable: same code as the call (it is what happened), never earlier than `waitMs`. */
function notYet<T>(call: UncertainCall<T>, code: FailureCode, waitMs: number, message: string): WorkflowError {
  const retryCode: FailureCode = classifyFailure(code).retryable ? code : 'vendor_unavailable';
  return new WorkflowError(retryCode, message, { retryAfterMs: Math.max(0, Math.ceil(waitMs)), outcome: 'unknown', details: { effect: call.effectName } });
}

/** The question staff are asked, as a terminal failure whose message becomes the task's reason. */
export function toStaff<T>(call: UncertainCall<T>, why: string): WorkflowError {
  const { spec } = call;
  const lost =
    call.cause.kind === 'lost_answer'
      ? `Its answer was lost (${call.cause.code}${call.cause.httpStatus ? `, HTTP ${call.cause.httpStatus}` : ''})`
      : 'A worker stopped during the call';
  const question =
    `Did ${call.effectName} (${spec.service} ${spec.endpoint}) to ${call.target ?? 'its recipient'} at ${call.intentAt.toISOString()} happen? ` +
    `${lost} and ${why}. Check with ${spec.service}, then settle it: revos effects settle ${call.runId} ${call.effectName} sent|not_sent`;
  return new WorkflowError('effect_outcome_unknown', question, {
    stage: 'core_logic',
    outcome: 'unknown',
    details: {
      question,
      effect: call.effectName,
      service: spec.service,
      endpoint: spec.endpoint,
      target: call.target,
      intent_at: call.intentAt.toISOString(),
      cause: call.cause.kind,
    },
  });
}
