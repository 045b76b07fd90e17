import pinoPretty from 'pino-pretty';
import type { DestinationStream } from 'pino';

/**
 * Where log lines go: stdout as JSON lines (production, the default), or human-readable lines
 * through pino-pretty when LOG_PRETTY=true, or NODE_ENV=development unless LOG_PRETTY=false.
 * pino-pretty runs in-process (a stream, not a worker-thread transport): a dev convenience that
 * must not add a thread or lose the last lines on exit.
 */
export function logDestination(env: { LOG_PRETTY?: boolean | undefined; NODE_ENV?: string | undefined }): DestinationStream | undefined {
  const pretty = env.LOG_PRETTY ?? env.NODE_ENV === 'development';
  return pretty ? pinoPretty({ colorize: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', sync: true }) : undefined;
}
