import type { FieldIssue } from './types.js';

/**
 * The API answered with an error. `error` is its machine-readable code (`invalid_envelope`,
 * `unknown_workflow`, `unauthorized`, `not_found`, …) and `issues` names every failing field.
 * Recognise it with {@link isRevosApiError} (by name, so it works across package copies).
 */
export class RevosApiError extends Error {
  override readonly name = 'RevosApiError';
  constructor(
    readonly status: number,
    readonly error: string,
    readonly issues: FieldIssue[],
    /** `METHOD /path` of the request, for the message and logs (never the body). */
    readonly request: string,
  ) {
    super(`${request} answered ${status} ${error}${issues.length ? `: ${issues.map((i) => `${i.path || '(body)'} ${i.rule}`).join(', ')}` : ''}`);
  }
}

/** No answer could be had (network error, timeout, 5xx after the retries): the request may or may not have arrived. */
export class RevosRequestError extends Error {
  override readonly name = 'RevosRequestError';
  constructor(
    message: string,
    readonly request: string,
    /** The last HTTP status seen, if any answer came at all. */
    readonly status: number | null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function isRevosApiError(e: unknown): e is RevosApiError {
  return e instanceof RevosApiError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'RevosApiError');
}

export function isRevosRequestError(e: unknown): e is RevosRequestError {
  return e instanceof RevosRequestError || (typeof e === 'object' && e !== null && (e as { name?: unknown }).name === 'RevosRequestError');
}
