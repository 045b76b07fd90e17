/*
 * @revos/runtime, by subsystem. Floors, lowest first: a folder imports only folders on a floor below
 * its own, never one beside or above it (so there are no cycles, between folders or between files).
 *   1. logging/     the process logger, log-safe errors, pretty output
 *      privacy/     redaction, sealing, phi_minimized handling
 *      tracing/     spans (setup, propagation, attempt and intake spans)
 *      commit/      group commit: the statements of concurrent runs batched into one
 *      definition/  lanes, manifests, defineWorkflow and its context, payload schemas, WORKFLOWS_MODULE
 *   2. queue/       BullMQ: lane queues, enqueue, queue repair (ensure-queued), request-reply, Redis connection
 *      run/         one attempt of one run: pipeline, output builder, gates, effect journal, backoff
 *   3. intake/      the one way a run enters (intake → queue, and run/run-identity for its row)
 *      retention/   pruning old runs
 *   4. replay/      a settled run sent again (rerun-settled)
 *      loops/       what runs a process: worker, dispatcher, reconciler, cron, background loops, runMain
 * This index (re-exports only) sits on top; apps, tests and bench import '@revos/runtime' through it.
 */
export * from './definition/lanes.js';
export * from './definition/manifest.js';
export * from './definition/define-workflow.js';
export * from './definition/retired-version.js';
export * from './logging/logger.js';
export { logDestination } from './logging/log-output.js';
export * from './run/backoff.js';
export { deferRun, isRunDeferral, RunDeferral } from './run/deferral.js';
export * from './run/output.js';
export * from './run/tenant-cache.js';
export { runAttempt, isInfrastructureError, ESCALATION_WORKFLOW, FALLBACK_WORKFLOW, DEFAULT_LISTING_DELAY_MS, type PipelineDeps, type AttemptInfo, type AttemptOutcome } from './run/pipeline.js';
export * from './loops/worker.js';
export * from './queue/enqueue.js';
export * from './queue/queued-versions.js';
export { assignFairRound, readFairShareBacklog, writeFairShareWeights, fairShareWeightsKey, MAX_PRIORITY, type FairRound } from './queue/fair-share.js';
export * from './intake/intake.js';
export { IntakeRepeatCache, INTAKE_REPEAT_CACHE_MAX_TTL_MS, type IntakeRepeatCacheOptions } from './intake/intake-repeat-cache.js';
export * from './loops/dispatcher.js';
export * from './loops/reconciler.js';
export * from './intake/complete-envelope.js';
export * from './loops/background.js';
export * from './loops/cron.js';
export * from './privacy/index.js';
export * from './loops/process.js';
export * from './definition/payload-schema.js';
export * from './definition/workflows-module.js';
export * from './loops/cron-pattern.js';
export * from './intake/intake-policy.js';
export { APPOINTMENT_PROMPT_MAX_AGE_HOURS } from './run/patient-records.js';
export type { PatientRecords } from './definition/patient-records.js';
export { outboundAddress, subjectConsent, type ConsentVerdict } from './run/consent-gate.js';
export { isEntitled } from './run/entitlement-gate.js';
export * from './retention/index.js';
export * from './queue/redis-connection.js';
export * from './tracing/index.js';
export * from './loops/parent-context.js';
export { maskDestination } from './run/mask-destination.js';
export { ensureRunQueued, type QueueRepair, type EnsureQueuedOptions } from './queue/ensure-queued.js';
export { rerunSettledRun, type RerunOutcome } from './replay/rerun-settled.js';
export { errorForLog, scrub, type LoggedError } from './logging/log-error.js';
export { runClockStart, measureLatency, fallbackAction, budgetFor, type QueueTiming, type LatencyVerdict } from './run/latency.js';
export { createRunReplies, publishRunOutput, replyChannel, REPLY_TTL_MS, type RunReplies, type AwaitRunOutputOptions } from './queue/request-reply.js';
