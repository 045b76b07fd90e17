/**
 * How an error appears in a log line: enough to diagnose (its class, our failure code, the system code,
 * our own message, the stack frames), never the PHI a message can quote. The logger's redaction paths
 * (`*.message`, `*.name`, ...) would otherwise blank exactly these fields, leaving
 * `{"message":"[redacted]","name":"[redacted]","stack":""}` that nobody can act on.
 */
import { FailureCode } from '@revos/envelope';

/** Errors whose messages we write ourselves and keep free of PHI (ids, codes, counts only). */
const OWN_MESSAGES: ReadonlySet<string> = new Set([
  'WorkflowError',
  'ValidationError',
  'SealError',
  'ExchangeError',
]);

export interface LoggedError {
  /** The error's class (`TypeError`, `WorkflowError`, `PostgresError`, ...). */
  class: string;
  /** Our failure code, when the error carries one. */
  failure_code?: string;
  /** A system or driver code (`ECONNREFUSED`, a SQLSTATE). */
  code?: string;
  /** Our own message as is; any other message with quoted text, numbers and addresses masked. */
  text: string;
  /** Stack frames (`at fn (file:line:col)`), without the message line the stack starts with. */
  frames: string[];
  cause?: LoggedError;
}

const MAX_FRAMES = 12;

export function errorForLog(error: unknown, depth = 0): LoggedError {
  if (!(error instanceof Error)) return { class: typeof error, text: scrub(String(error)), frames: [] };
  const named = error as Error & { code?: unknown; cause?: unknown };
  const failure = FailureCode.safeParse(named.code);
  const out: LoggedError = {
    class: error.name || error.constructor?.name || 'Error',
    text: OWN_MESSAGES.has(error.name) ? error.message : scrub(error.message),
    frames: (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line)).slice(0, MAX_FRAMES).map((line) => line.trim()),
  };
  if (failure.success) out.failure_code = failure.data;
  else if (typeof named.code === 'string' && /^[A-Za-z0-9_.-]{1,40}$/.test(named.code)) out.code = named.code;
  if (named.cause !== undefined && depth < 3) out.cause = errorForLog(named.cause, depth + 1);
  return out;
}

/**
 * A third-party message with what may be a patient's data taken out: quoted strings (drivers and
 * parsers quote the input), digit runs (phone numbers, dates), e-mail addresses. Capped in length.
 */
export function scrub(message: string): string {
  return message
    .replace(/(["'`]).*?\1/g, '$1…$1')
    .replace(/[\w.+-]+@[\w-]+\.[\w.-]+/g, '[email]')
    .replace(/\+?\d[\d\s().-]{3,}\d/g, '[number]')
    .slice(0, 300);
}
