/**
 * The latency clock of a run. It starts when the trigger reached the fleet (intake's
 * `meta.accepted_at_utc`), not when a worker picked the job up, so the time a run waited in the
 * queue, behind a busy key or for a retry counts against its budget as the caller feels it. A run
 * deliberately scheduled for later (`run_after_utc`, a BullMQ delay) or deferred by its workflow
 * (quiet hours, pacing) starts its clock when it was due, not when it was accepted: waiting for the
 * appointed time is not slowness.
 */
import type { EnvelopeMeta, NextAction } from '@revos/envelope';
import { REALTIME_CHANNELS, type Channel } from '../definition/lanes.js';

export const FALLBACK_WORKFLOW = 'WF71_RealTime_Fallback';

/** What the queue knows about when a job was added and how long it was meant to wait. */
export interface QueueTiming {
  /** BullMQ's job.timestamp (ms since the epoch): when the job was added. */
  enqueuedAtMs?: number;
  /** BullMQ's job.opts.delay: the wait that was asked for at enqueue. */
  scheduledDelayMs?: number;
  /** When an earlier attempt's deferral (quiet hours, pacing) made the job due again: waiting for it is not slowness either. */
  deferredUntilMs?: number;
}

/**
 * When the run's clock starts: the later of the trigger's arrival and the time the job was due.
 * Envelopes enqueued without intake (tests, tools) have no `accepted_at_utc`: the job's enqueue
 * time stands in, and the pickup time as a last resort.
 */
export function runClockStart(meta: Pick<EnvelopeMeta, 'accepted_at_utc'>, timing: QueueTiming, pickedUpAt: Date): Date {
  const accepted = meta.accepted_at_utc ? Date.parse(meta.accepted_at_utc) : Number.NaN;
  const arrivedMs = Number.isFinite(accepted) ? accepted : (timing.enqueuedAtMs ?? pickedUpAt.getTime());
  const scheduledMs = timing.enqueuedAtMs !== undefined && timing.scheduledDelayMs ? timing.enqueuedAtMs + timing.scheduledDelayMs : 0;
  const dueMs = Math.max(scheduledMs, timing.deferredUntilMs ?? 0);
  // Never later than the pickup: a clock skew between producer and worker must not yield a negative latency.
  return new Date(Math.min(Math.max(arrivedMs, dueMs), pickedUpAt.getTime()));
}

/**
 * The budget a run is held to: the workflow's, except that a tenant may set its voice budget
 * (tenant config `voice_budget_ms`, a positive integer) for every voice-channel workflow, the same
 * number its voice webhook answers the caller by.
 */
export function budgetFor(channel: Channel, workflowBudgetMs: number | null, tenantConfig: Record<string, unknown> | null): number | null {
  const voice = tenantConfig?.voice_budget_ms;
  if (channel === 'voice' && typeof voice === 'number' && Number.isInteger(voice) && voice > 0) return voice;
  return workflowBudgetMs;
}

export interface LatencyVerdict {
  latencyMs: number;
  breach: boolean;
}

/** Latency from the clock start to the end, and whether it is over the budget (null: no budget). */
export function measureLatency(clockStart: Date, endedAt: Date, budgetMs: number | null): LatencyVerdict {
  const latencyMs = Math.max(0, endedAt.getTime() - clockStart.getTime());
  return { latencyMs, breach: budgetMs !== null && latencyMs > budgetMs };
}

export interface FallbackInput {
  channel: Channel;
  /** The run's envelope payload; a real-time run names its call in `payload.call_sid`. */
  payload: Record<string, unknown>;
  sourceRunId: string;
  sourceWorkflow: string;
  latencyMs: number;
  budgetMs: number | null;
  breach: boolean;
  /** The failure code when the run did not succeed, null when it did. */
  failureCode: string | null;
}

/**
 * The WF71 next action a real-time run gets when it breached its budget or failed: the caller
 * must not be left in silence. It carries the call (CallSid) so the fallback acts on the live call.
 * Other channels, and real-time runs that succeeded in time, get none.
 */
export function fallbackAction(f: FallbackInput): NextAction | null {
  if (!REALTIME_CHANNELS.has(f.channel)) return null;
  if (!f.breach && f.failureCode === null) return null;
  const callSid = typeof f.payload.call_sid === 'string' ? f.payload.call_sid : undefined;
  return {
    action: 'CALL_WORKFLOW',
    workflow: FALLBACK_WORKFLOW,
    payload: {
      ...(callSid ? { call_sid: callSid } : {}),
      source_run_id: f.sourceRunId,
      source_workflow: f.sourceWorkflow,
      latency_ms: f.latencyMs,
      budget_ms: f.budgetMs,
      reason: f.failureCode === null ? 'latency_breach' : `failed:${f.failureCode}`.slice(0, 80),
    },
    priority: 'high',
    run_after_utc: null,
  };
}
