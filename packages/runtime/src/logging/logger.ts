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

/** pino's level methods: a call at a level the parent has disabled writes nothing, so it needs no child. */
const LEVEL_METHODS: ReadonlySet<PropertyKey> = new Set(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/**
 * `parent.child(bindings)`, made only when first needed. pino serialises a child's bindings when
 * the child is made, and with wildcard redact paths every binding value goes through the redactor:
 * for the per-run logger that cost was paid on every run even when no line was written. Until a
 * line at an enabled level (or anything else) asks for it, calls at disabled levels go to the
 * parent's no-op. Every line written still carries the same bindings and the same redaction.
 */
export function lazyChild(parent: Logger, bindings: pino.Bindings): Logger {
  let child: Logger | undefined;
  const real = (): Logger => (child ??= parent.child(bindings));
  // The target is a blank object: the proxy's answers come from the parent or the child, never from it.
  return new Proxy({} as Logger, {
    get(_target, prop) {
      if (child === undefined && LEVEL_METHODS.has(prop) && !parent.isLevelEnabled(prop as pino.Level)) return parent[prop as pino.Level];
      const value: unknown = Reflect.get(real(), prop);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(real()) : value;
    },
    set(_target, prop, value: unknown) {
      return Reflect.set(real(), prop, value);
    },
    has(_target, prop) {
      return Reflect.has(real(), prop);
    },
  });
}
