import type { Logger } from 'pino';
import { InvalidConfigurationError } from '@revos/settings';
import { isTypeFetchCutByConnectionLoss } from '@revos/db';

/** Thrown by a start function (or anything it calls) to stop the process with exit 78 and the message. */
export { InvalidConfigurationError };

export interface RunningProcess {
  log: Logger;
  close(): Promise<void>;
}

/**
 * The life of a fleet process: start it, then on the first SIGTERM or SIGINT
 * close it (the app bounds its own drain) and exit 0. Bad configuration exits
 * 78; a failed start or an unhandled rejection exits 1, logged.
 */
export function runMain(service: string, start: () => Promise<RunningProcess>): void {
  start().then(
    (running) => {
      let signalled = false;
      const stop = (signal: NodeJS.Signals) => {
        if (signalled) return;
        signalled = true;
        running.log.info({ signal }, 'shutting down');
        running.close().then(
          () => process.exit(0),
          (error: unknown) => {
            running.log.error({ err: error }, 'shutdown failed');
            process.exit(1);
          },
        );
      };
      process.once('SIGTERM', stop);
      process.once('SIGINT', stop);
      process.on('unhandledRejection', (reason) => {
        if (isTypeFetchCutByConnectionLoss(reason)) {
          // postgres.js's own connection setup, cut by a PostgreSQL restart: its pool reconnects.
          running.log.warn({ err: reason }, 'postgres.js connection setup cut by a lost connection; reconnecting');
          return;
        }
        running.log.fatal({ err: reason }, 'unhandled rejection');
        process.exit(1);
      });
    },
    (error: unknown) => {
      if (error instanceof InvalidConfigurationError) {
        console.error(error.message);
        process.exit(78);
      }
      console.error(JSON.stringify({ level: 'fatal', msg: `${service} failed to start`, err: error instanceof Error ? error.message : String(error) }));
      process.exit(1);
    },
  );
}
