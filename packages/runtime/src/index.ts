export * from './lanes.js';
export * from './define-workflow.js';
export * from './logger.js';
export * from './backoff.js';
export * from './output.js';
export * from './tenant-cache.js';
export { runAttempt, isInfrastructureError, ESCALATION_WORKFLOW, FALLBACK_WORKFLOW, type PipelineDeps, type AttemptInfo, type AttemptOutcome } from './pipeline.js';
export * from './worker.js';
export * from './enqueue.js';
