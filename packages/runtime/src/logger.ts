import pino, { type Logger } from 'pino';
import { errorForLog } from './log-error.js';

/**
 * Paths pino censors wherever they appear one level down. Logs must never carry
 * PHI (phone numbers, names, message text, dates of birth) or secrets; the
 * runtime never logs envelopes or payloads, and these paths are the second belt
 * for a careless `log.info({ ... })` in a workflow.
 */
export const REDACT_PATHS = [
  'payload',
  'envelope',
  'subject',
  'body',
  'to',
  'from',
  'phone',
  'name',
  'dob',
  'email',
  'authToken',
  'apiKey',
  'password',
  'authorization',
  '*.payload',
  '*.envelope',
  '*.body',
  '*.to',
  '*.from',
  '*.phone',
  '*.name',
  '*.first_name',
  '*.last_name',
  '*.dob',
  '*.date_of_birth',
  '*.email',
  '*.message',
  '*.authToken',
  '*.apiKey',
  '*.password',
  '*.authorization',
];

export interface LoggerOptions {
  level?: string;
  /** A destination stream (tests capture lines); stdout when absent. */
  destination?: pino.DestinationStream;
  base?: Record<string, unknown>;
}

/** The process's root logger: JSON lines, ISO time, redaction configured once here. */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? 'info',
      base: options.base ?? { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // `{ err }` anywhere: class, failure code, own message, frames (see log-error.ts), never a raw message.
      serializers: { err: errorForLog },
      formatters: { level: (label) => ({ level: label }) },
    },
    options.destination,
  );
}

export type { Logger };
