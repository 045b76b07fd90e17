/**
 * The one failure type of an attempt: a {@link WorkflowError} that names its stage. The pipeline
 * throws it at a gate; workflows and adapters throw it (or anything else) from core logic; the
 * ending turns whatever was thrown into one with a stage.
 */
import { isWorkflowError, WorkflowError, type FailureCode, type FailureStage } from '@revos/envelope';

/** A classified failure at a known stage of the pipeline. */
export type StagedFailure = WorkflowError & { readonly stage: FailureStage };

export function stageFailure(
  code: FailureCode,
  stage: FailureStage,
  message: string,
  details?: Record<string, unknown>,
): StagedFailure {
  return new WorkflowError(code, message, { stage, ...(details === undefined ? {} : { details }) }) as StagedFailure;
}

/** Errors thrown by workflows or by our own infrastructure, as a failure at a stage (core logic unless it names one). */
export function toStagedFailure(error: unknown): StagedFailure {
  if (isWorkflowError(error)) {
    if (error.stage !== undefined) return error as StagedFailure;
    return new WorkflowError(error.code, error.message, {
      stage: 'core_logic',
      ...(error.retryAfterMs === undefined ? {} : { retryAfterMs: error.retryAfterMs }),
      ...(error.details === undefined ? {} : { details: error.details }),
      ...(error.outcome === undefined ? {} : { outcome: error.outcome }),
    }) as StagedFailure;
  }
  if (isInfrastructureError(error)) {
    return stageFailure('network', 'core_logic', `infrastructure unavailable: ${(error as Error).message}`);
  }
  const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return stageFailure('internal_error', 'core_logic', message);
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
