import type { Tracer } from '@opentelemetry/api';
import type { Job } from 'bullmq';
import type { AttemptOutcome } from '../run/pipeline.js';
import { startAttemptTrace, type AttemptTrace } from '../tracing/attempt-trace.js';
import { parseSpanContext } from '../tracing/propagation.js';

/** The attempt's trace for a BullMQ job: continues what the job carried, with its queue wait. */
export function traceJob(tracer: Tracer, job: Job, lane: string): AttemptTrace {
  // Due when added, or when its delay elapsed (a scheduled follow-up is not waiting before that).
  const queuedAt = typeof job.timestamp === 'number' ? job.timestamp + (job.delay ?? 0) : null;
  return startAttemptTrace({
    tracer,
    parent: parseSpanContext(job.opts.telemetry?.metadata),
    lane,
    jobId: job.id ?? 'unknown',
    attempt: (job.attemptsStarted ?? job.attemptsMade + 1) || 1,
    workflowName: job.name,
    queuedAt,
    pickedAt: job.processedOn ?? Date.now(),
  });
}

/** Puts the outcome's status and codes on the attempt's span and ends it. */
export function endAttemptTrace(trace: AttemptTrace, outcome: AttemptOutcome): void {
  switch (outcome.kind) {
    case 'done':
    case 'terminal':
    case 'retry': {
      const meta = outcome.output?.meta_out;
      trace.end({
        status: outcome.output?.result.status ?? (outcome.kind === 'retry' ? 'retry' : 'failed'),
        failureCode: meta?.failure_code ?? ('code' in outcome ? outcome.code : null),
        failureStage: meta?.failure_stage ?? null,
        latencyBreach: meta?.latency_breach,
      });
      return;
    }
    case 'wait':
      trace.end({ status: 'wait' });
      return;
    case 'defer':
      trace.end({ status: 'deferred' });
      return;
    case 'lost':
      trace.end({ status: 'lease_lost' });
      return;
  }
}
